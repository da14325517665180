"""A report's chart as a PNG: bars per month (or quarter), drawn with matplotlib's Agg.

Only the object API (`Figure` and an Agg canvas, never pyplot): no display, no global
figure state, so it is safe to draw in a worker thread while the bot keeps answering.
Every word comes from the caller in the reader's language; a chart with nothing to show
says so in its middle instead of drawing empty axes.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from io import BytesIO

import matplotlib

matplotlib.use("Agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

MAX_BARS = 12
WIDTH_PX, HEIGHT_PX, DPI = 1280, 800, 100  # readable on a phone, small to send
COLOURS = ("#2E7D32", "#1565C0", "#C62828", "#F9A825", "#6A1B9A")


@dataclass(frozen=True, slots=True)
class Series:
    label: str
    values: Sequence[float]
    colour: str | None = None  # None: the next of COLOURS


@dataclass(frozen=True, slots=True)
class BarChart:
    title: str
    categories: Sequence[str]  # at most MAX_BARS
    series: Sequence[Series]
    axis_label: str  # "soʻm"
    empty_text: str  # "No data for this period"
    number: Callable[[float], str] = lambda value: f"{value:,.0f}"
    stacked: bool = False  # the series on top of each other (shares of a whole)
    label_rotation: int = 0  # degrees: long category names (groups) slanted to fit

    @property
    def is_empty(self) -> bool:
        return not self.categories or not any(any(s.values) for s in self.series)


def render_png(chart: BarChart) -> bytes:
    if len(chart.categories) > MAX_BARS:
        raise ValueError(f"at most {MAX_BARS} bars, got {len(chart.categories)}")
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.set_title(chart.title, fontsize=22, pad=16)
    if chart.is_empty:
        axes.set_axis_off()
        axes.text(0.5, 0.5, chart.empty_text, ha="center", va="center", fontsize=28)
    else:
        _bars(axes, chart)
    figure.tight_layout()
    buffer = BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _bars(axes, chart: BarChart) -> None:
    count = len(chart.series)
    width = 0.7 if chart.stacked else 0.8 / count
    positions = range(len(chart.categories))
    bottoms = [0.0] * len(chart.categories)
    for index, series in enumerate(chart.series):
        offset = 0.0 if chart.stacked else (index - (count - 1) / 2) * width
        axes.bar(
            [position + offset for position in positions],
            list(series.values),
            width=width,
            bottom=list(bottoms) if chart.stacked else 0,
            label=series.label,
            color=series.colour or COLOURS[index % len(COLOURS)],
        )
        if chart.stacked:
            bottoms = [bottom + value for bottom, value in zip(bottoms, series.values, strict=True)]
    rotation = chart.label_rotation
    axes.set_xticks(
        list(positions),
        list(chart.categories),
        fontsize=15,
        rotation=rotation,
        ha="right" if rotation else "center",
        rotation_mode="anchor",
    )
    axes.tick_params(axis="y", labelsize=14)
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: chart.number(value)))
    axes.set_ylabel(chart.axis_label, fontsize=16)
    axes.axhline(0, color="#555555", linewidth=0.8)
    axes.grid(axis="y", alpha=0.3)
    if chart.stacked:  # room above the tallest bar for the legend in one row
        axes.set_ylim(0, max(bottoms) * 1.18)
        axes.legend(fontsize=15, loc="upper center", ncol=count, frameon=False)
    else:
        axes.legend(fontsize=15, loc="best")
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
