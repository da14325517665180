"""Start-up time and idle memory of `python -m bot run`, beside a trivial echo bot.

Both run against the same local fake Bot API server, one after the other in alternation, each
on its own fresh SQLite database (the bot migrates it). Prints min / median / max over the runs
of the time from process start to polling (its deleteWebhook), to the first answered /start,
and the resident memory after a few idle seconds, then the bot's medians as ratios to the echo
bot's (`benchmarks/echo_bot.py`), which hold on any machine.
Usage: .venv/bin/python benchmarks/startup.py [--runs 3] [--idle 3]
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


BOT = ("-m", "bot", "run")
ECHO = (str(PROJECT / "benchmarks" / "echo_bot.py"),)


async def one_run(command: tuple[str, ...], idle_seconds: float) -> tuple[float, float, float]:
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
            sys.executable, *command, cwd=folder, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        await api.wait_for("deleteWebhook", 1, timeout=60)  # right before polling, in both
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


def spread(values: list[float], unit: str, scale: float = 1) -> str:
    low, middle, high = min(values), statistics.median(values), max(values)
    return f"{low * scale:.2f} / {middle * scale:.2f} / {high * scale:.2f} {unit}"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--idle", type=float, default=3.0)
    args = parser.parse_args()
    figures: dict[str, list[tuple[float, float, float]]] = {"bot": [], "echo": []}
    for _ in range(args.runs):  # alternate, so a slow minute of the machine hits both
        figures["echo"].append(await one_run(ECHO, args.idle))
        figures["bot"].append(await one_run(BOT, args.idle))
    names = ("start-up to polling", "start-up to first reply", "idle resident memory")
    units = (("s", 1), ("s", 1), ("MiB", 1))
    print(f"runs: {args.runs} each, alternating; min / median / max")
    for index, (name, (unit, scale)) in enumerate(zip(names, units, strict=True)):
        bot = [run[index] for run in figures["bot"]]
        echo = [run[index] for run in figures["echo"]]
        ratio = statistics.median(bot) / statistics.median(echo)
        print(f"{name:29} bot {spread(bot, unit, scale)}  echo {spread(echo, unit, scale)}"
              f"  ratio {ratio:.2f}x")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
