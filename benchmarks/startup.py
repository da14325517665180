"""Start-up time and idle memory of `python -m bot run`, against a local fake Bot API server.

Prints: time from process start to the first getUpdates (migrations and command menus
included), to the first answered /start, and the resident memory after a few idle seconds.
Usage: .venv/bin/python benchmarks/startup.py [--runs 3]
"""

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from tests.fake_bot_api import FakeBotApi  # noqa: E402
from tests.mocked_bot import BOT_TOKEN  # noqa: E402
from tests.test_bot_process import message_update  # noqa: E402


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def one_run(idle_seconds: float) -> tuple[float, float, float]:
    api = FakeBotApi()
    await api.start()
    with tempfile.TemporaryDirectory() as folder:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(PROJECT),
            "BOT_TOKEN": BOT_TOKEN,
            "TELEGRAM_API_URL": api.url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{folder}/bench.db",
            "LOG_LEVEL": "WARNING",
        }
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=folder, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        await api.wait_for("deleteWebhook", 1, timeout=60)
        ready = time.perf_counter() - started
        await api.updates.put(message_update(1, 7, "en", "/start"))
        await api.wait_for("sendMessage", 1)
        answered = time.perf_counter() - started
        await asyncio.sleep(idle_seconds)
        memory = rss_mib(process.pid)
        process.terminate()
        await process.wait()
    await api.stop()
    return ready, answered, memory


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--idle", type=float, default=3.0)
    args = parser.parse_args()
    results = [await one_run(args.idle) for _ in range(args.runs)]
    ready, answered, memory = zip(*results, strict=True)
    print(f"runs: {args.runs} (fresh SQLite database each, migrations included)")
    print(f"start-up to polling:   median {statistics.median(ready) * 1000:.0f} ms")
    print(f"start-up to first reply: median {statistics.median(answered) * 1000:.0f} ms")
    print(f"idle resident memory:  median {statistics.median(memory):.1f} MiB")


if __name__ == "__main__":
    asyncio.run(main())
