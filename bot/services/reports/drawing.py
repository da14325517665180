"""Drawing a chart of `bot.services.reports.chart` with matplotlib's Agg (imported only when
the first chart is drawn)."""

from io import BytesIO

import matplotlib

matplotlib.use("Agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from bot.services.reports.chart import (
    COLOURS,
    DPI,
    HEIGHT_PX,
    WIDTH_PX,
    BarChart,
    PanelChart,
    RateLine,
)


def draw(chart: BarChart | PanelChart) -> bytes:
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    if isinstance(chart, PanelChart) and not chart.is_empty:
        _panels(figure, chart)
    else:
        axes = figure.add_subplot()
        axes.set_title(chart.title, fontsize=22, pad=16)
        if chart.is_empty:
            axes.set_axis_off()
            axes.text(0.5, 0.5, chart.empty_text, ha="center", va="center", fontsize=28)
        elif isinstance(chart, BarChart) and chart.horizontal:
            _horizontal_bars(axes, chart)
        else:
            assert isinstance(chart, BarChart)
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
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))  # no 0.5 of a student
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: chart.number(value)))
    axes.set_ylabel(chart.axis_label, fontsize=16)
    axes.axhline(0, color="#555555", linewidth=0.8)
    axes.grid(axis="y", alpha=0.3)
    handles, labels = axes.get_legend_handles_labels()
    if chart.rate is not None:
        line = _rate_line(axes, chart.rate)
        handles, labels = [*handles, line], [*labels, chart.rate.label]
    if chart.stacked:  # room above the tallest bar for the legend in one row
        axes.set_ylim(0, max(bottoms) * 1.18)
        axes.legend(handles, labels, fontsize=15, loc="upper center", ncol=count, frameon=False)
    else:
        axes.legend(handles, labels, fontsize=15, loc="best")
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def _panels(figure: Figure, chart: PanelChart) -> None:
    figure.suptitle(chart.title, fontsize=22)
    positions = list(range(len(chart.categories)))
    first = None
    for index, panel in enumerate(chart.panels):
        axes = figure.add_subplot(1, len(chart.panels), index + 1, sharey=first)
        values = list(panel.series.values)
        axes.barh(positions, values, color=COLOURS[index % len(COLOURS)], height=0.7)
        axes.set_title(panel.series.label, fontsize=17)
        top = max(values, default=0) or 1
        axes.set_xlim(0, top * 1.3)  # room for the figure at the end of the longest bar
        for position, value in zip(positions, values, strict=True):
            axes.text(value + top * 0.02, position, panel.number(value), va="center", fontsize=13)
        axes.set_xticks([])
        for side in ("top", "right", "bottom"):
            axes.spines[side].set_visible(False)
        if first is None:
            first = axes
            axes.set_yticks(positions, list(chart.categories), fontsize=14)
            axes.invert_yaxis()
        else:
            axes.tick_params(axis="y", left=False, labelleft=False)


def _horizontal_bars(axes, chart: BarChart) -> None:
    """One series as bars from the left, each with its value at its end."""
    [series] = chart.series
    positions = list(range(len(chart.categories)))
    bars = axes.barh(positions, list(series.values), height=0.6, color=COLOURS[1])
    axes.bar_label(bars, labels=[chart.number(v) for v in series.values], padding=6, fontsize=16)
    axes.set_yticks(positions, list(chart.categories), fontsize=16)
    axes.invert_yaxis()
    axes.tick_params(axis="x", labelsize=14)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no half ticks
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: chart.number(value)))
    axes.set_xlabel(chart.axis_label, fontsize=16)
    axes.margins(x=0.12)
    axes.grid(axis="x", alpha=0.3)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def _rate_line(axes, rate: RateLine):
    right = axes.twinx()
    points = [(x, value) for x, value in enumerate(rate.values) if value is not None]
    (line,) = right.plot(
        [x for x, _ in points],
        [value for _, value in points],
        color="#424242",
        marker="o",
        linewidth=2.5,
        markersize=9,
    )
    top = max((value for _, value in points), default=0.0)
    right.set_ylim(0, max(top * 1.2, 0.1))
    right.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    right.tick_params(axis="y", labelsize=14)
    right.spines["top"].set_visible(False)
    return line
