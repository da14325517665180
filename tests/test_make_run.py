"""`make run` stopped the way systemd or a terminal stops it: a SIGTERM to the whole process
group. GNU make passes the signal on to the bot as well, so the bot may get two at once;
it must treat them as one stop and drain, not exit at the second (tests/test_scale_out.py
has the two signals one after the other without the race).

The venv is the one running the tests (`make test` made it in CI), and `-o` keeps make from
reinstalling into it: what is tried is make's handling of the signal, not pip.
"""

import asyncio
import os
import shutil
import signal
import sys
from pathlib import Path

import pytest

from tests.fake_bot_api import FakeBotApi
from tests.test_bot_process import PROJECT, bot_env, message_update

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make"),
]


async def test_a_group_sigterm_to_make_run_drains(tmp_path: Path) -> None:
    api = FakeBotApi()
    await api.start()
    venv = Path(sys.prefix)
    env = bot_env(api, tmp_path / "bot.db", LOG_LEVEL="INFO")
    log_path = tmp_path / "make.log"
    with log_path.open("wb") as log:
        make = await asyncio.create_subprocess_exec(
            "make", "--no-print-directory", "-o", str(venv / ".installed"),
            f"VENV={venv}", "run",
            cwd=PROJECT, env=env, stdout=log, stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            await api.wait_for("setMyCommands", 4, timeout=120)  # default + 3 languages
            api.delay = 1.5  # the reply to the next update takes 1.5 s
            fetched = asyncio.Event()
            api.on_handover = lambda _updates: fetched.set()
            await api.updates.put(message_update(1, 801, "en", "/help"))
            await asyncio.wait_for(fetched.wait(), 30)
            await asyncio.sleep(0.3)  # the bot is waiting for its reply to go out
            os.killpg(make.pid, signal.SIGTERM)
            await asyncio.wait_for(make.wait(), 30)
        finally:
            if make.returncode is None:
                os.killpg(make.pid, signal.SIGKILL)
            await api.stop()
    output = log_path.read_text(errors="replace")
    # make's own SIGTERM may come as a second signal, or merge with the first while it is
    # pending (the kernel keeps one); either way the bot drains
    assert "SIGTERM received" in output, output[-3000:]
    assert "exiting now" not in output
    [handled] = [line for line in output.splitlines() if "update=1 type=message" in line]
    assert "handler=help_command" in handled and "outcome=cancelled" not in handled  # finished
    assert "bot stopped" in output
    assert "Error" not in output  # make reports a child that exited non-zero
