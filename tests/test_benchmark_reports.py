"""benchmarks/reports.py runs end to end on a tiny centre: built, then reused, every report
measured (the figures themselves are not checked: they belong in the README, not a test)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
SCRIPT = PROJECT / "benchmarks" / "reports.py"


def run(cache: Path) -> str:
    command = [sys.executable, str(SCRIPT), "--scale", "0.002", "--runs", "1"]
    command += ["--cache-dir", str(cache)]
    environment = {**os.environ, "PYTHONPATH": str(PROJECT)}
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=300, env=environment, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.slow
def test_builds_once_then_reuses_and_measures_every_report(tmp_path: Path) -> None:
    first = run(tmp_path)
    assert "sqlite (built in" in first
    assert "failed" not in first
    for report in ("finance", "attendance", "retention", "leads", "teachers"):
        assert first.count(f"  {report} ") == 4, report  # one line a case
    assert first.count("  profit ") == 3  # the centre's only: no teacher's case
    second = run(tmp_path)
    assert "sqlite (reused" in second
    assert len(list(tmp_path.glob("*.db"))) == 1
