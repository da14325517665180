"""The import's worker process (bot/services/worker.py): a file is read there, its
refusals come back as the exceptions they are, and a worker that died is replaced."""

import os
import signal
from datetime import date

import pytest

from bot.services import imports as imports_service
from bot.services import worker
from bot.services.imports.reading import ReadProblem, Unreadable

TODAY = date(2026, 12, 8)


async def test_a_file_is_read_in_the_worker_and_its_refusals_come_back_whole() -> None:
    data = b"Student: full name;Student: phone\nAli Valiyev;90 123 45 67\n"
    titles = {"student_name": ["Student: full name"], "student_phone": ["Student: phone"]}
    kind, parsed = await imports_service.read_any_apart(
        data, "people", titles, region="UZ", today=TODAY
    )
    assert kind is imports_service.KINDS["people"]
    assert [row.student.phone for row in parsed.rows] == ["+998901234567"]
    with pytest.raises(Unreadable) as refused:
        await imports_service.read_any_apart(b"", "people", titles, region="UZ", today=TODAY)
    assert refused.value.problem is ReadProblem.EMPTY
    with pytest.raises(imports_service.MissingColumns) as missing:
        await imports_service.read_any_apart(
            b"a,b\n1,2\n", "people", titles, region="UZ", today=TODAY, kinds=["people"]
        )
    assert missing.value.missing == ["student_name"]
    assert (await worker.run(os.getpid)) != os.getpid()  # another process


async def test_a_worker_that_died_is_replaced() -> None:
    first = await worker.run(os.getpid)
    os.kill(first, signal.SIGKILL)
    second = await worker.run(os.getpid)
    assert second not in (first, os.getpid())
