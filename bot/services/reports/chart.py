"""A report's chart as a PNG: bars per month (or quarter), or horizontal bars of one series
(a funnel), drawn with matplotlib's Agg.

Only the object API (`Figure` and an Agg canvas, never pyplot): no display, no global
figure state, so it is safe to draw in a worker thread while the bot keeps answering.
Every word comes from the caller in the reader's language; a chart with nothing to show
says so in its middle instead of drawing empty axes.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

MAX_BARS = 12
WIDTH_PX, HEIGHT_PX, DPI = 1280, 800, 100  # readable on a phone, small to send
COLOURS = ("#2E7D32", "#1565C0", "#C62828", "#F9A825", "#6A1B9A")


@dataclass(frozen=True, slots=True)
class Series:
    label: str
    values: Sequence[float]
    colour: str | None = None  # None: the next of COLOURS


@dataclass(frozen=True, slots=True)
class RateLine:
    """A rate per bar (0.25 = 25 %, None: no rate there) drawn as a line on a right-hand
    percentage axis over the bars."""

    label: str
    values: Sequence[float | None]


@dataclass(frozen=True, slots=True)
class BarChart:
    title: str
    categories: Sequence[str]  # at most MAX_BARS
    series: Sequence[Series]
    axis_label: str  # "soʻm"
    empty_text: str  # "No data for this period"
    number: Callable[[float], str] = lambda value: f"{value:,.0f}"
    horizontal: bool = False  # bars from the left, the first category on top (a funnel)
    rate: RateLine | None = None
    stacked: bool = False  # the series on top of each other (shares of a whole)
    label_rotation: int = 0  # degrees: long category names (groups) slanted to fit

    @property
    def is_empty(self) -> bool:
        return not self.categories or not any(any(s.values) for s in self.series)


@dataclass(frozen=True, slots=True)
class Panel:
    """One measure of a `PanelChart`: its heading is the series' label."""

    series: Series
    number: Callable[[float], str] = lambda value: f"{value:,.0f}"


@dataclass(frozen=True, slots=True)
class PanelChart:
    """Measures of different sizes (lessons, so'm) side by side, a panel each: a horizontal
    bar per category (a name), the first category at the top, its value at the bar's end."""

    title: str
    categories: Sequence[str]  # at most MAX_BARS
    panels: Sequence[Panel]
    empty_text: str

    @property
    def is_empty(self) -> bool:
        return not self.categories or not any(any(p.series.values) for p in self.panels)


def render_png(chart: BarChart | PanelChart) -> bytes:
    """The chart as PNG bytes. matplotlib is imported here, on the first chart drawn, not at
    start-up: it costs half a second and ~40 MiB that a bot nobody asks for a report from
    never needs."""
    if len(chart.categories) > MAX_BARS:
        raise ValueError(f"at most {MAX_BARS} bars, got {len(chart.categories)}")
    from bot.services.reports import drawing

    return drawing.draw(chart)
