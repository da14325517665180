"""benchmarks/webapp.py runs end to end on a tiny centre: the Mini App and the floor served
from their own processes, every request signed in and answered 200, the first screen
counted (the figures themselves are not checked: they belong in the README)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
SCRIPT = PROJECT / "benchmarks" / "webapp.py"
STATIC = PROJECT / "bot" / "webapp" / "static"


def run(*arguments: str) -> subprocess.CompletedProcess:
    command = [sys.executable, str(SCRIPT), "--seconds", "0.5", "--runs", "1", "--groups", "2"]
    environment = {**os.environ, "PYTHONPATH": str(PROJECT)}
    return subprocess.run(
        [*command, *arguments],
        capture_output=True,
        text=True,
        timeout=300,
        env=environment,
        check=False,
    )


@pytest.mark.slow
def test_measures_signed_requests_and_the_first_screen() -> None:
    done = run("--student-path", "/api/me", "--teacher-path", "/api/me?lesson={lesson_id}")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "floor: a trivial aiohttp handler" in out
    assert "student: GET /api/me" in out and "teacher: GET /api/me?lesson=" in out
    assert out.count("goal p99 ≤ 50 ms") == 2
    assert "FAILED" not in out
    # the page, app.css and every module: app.js imports dom.js and each screen's module
    modules = sorted(p.relative_to(STATIC).as_posix() for p in STATIC.rglob("*.js"))
    assert f"first screen, gzip as served: {2 + len(modules)} files" in out
    assert all(f" {module} " in out for module in modules), modules
    verdict = json.loads(out.strip().splitlines()[-1])
    assert verdict["database"] == "sqlite" and verdict["all_answered"] is True


@pytest.mark.slow
def test_a_route_that_does_not_answer_200_fails_the_run() -> None:
    done = run("--student-path", "/api/no-such-route", "--teacher-path", "/api/me")
    assert done.returncode == 1
    assert "FAILED: {'HTTP 404'" in done.stdout
