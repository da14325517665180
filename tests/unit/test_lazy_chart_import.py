"""matplotlib loads with the first chart drawn, not at start-up (half a second, ~30 MiB)."""

import subprocess
import sys

from bot.services.reports.chart import BarChart, Series, render_png


def test_starting_the_bot_does_not_load_matplotlib():
    code = "import sys, bot.startup.app; print('matplotlib' in sys.modules)"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "False"


def test_the_first_chart_loads_it_and_draws_a_png():
    chart = BarChart("t", ["a"], [Series("s", [1.0])], "soʻm", "no data")
    assert render_png(chart).startswith(b"\x89PNG")
