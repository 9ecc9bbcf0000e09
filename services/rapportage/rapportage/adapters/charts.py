"""Charts as inline SVG, drawn server-side with pygal: no script, readable without JavaScript."""

from collections.abc import Sequence

import pygal
from pygal.style import Style

STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#1d1d1b",
    foreground_strong="#1d1d1b",
    foreground_subtle="#555",
    colors=("#2c6e8f", "#c2571a", "#4d8b31", "#7a4fa0", "#b8860b"),
    font_family="system-ui, sans-serif",
    label_font_size=13,
    major_label_font_size=13,
    value_font_size=12,
)


def _render(chart: pygal.Graph) -> str:
    return chart.render(is_unicode=True)


# More bars than this and the chart names every fifth year, upright, without printed values.
CROWDED = 15


def bar_chart(title: str, labels: Sequence[str], series: dict[str, Sequence[float]]) -> str:
    """Bars per label (year). Forty years stay readable: no value printed over crowded bars,
    every fifth year named in full (never truncated with '…'), turned upright."""
    crowded = len(labels) > CROWDED
    chart = pygal.Bar(
        title=title,
        style=STYLE,
        js=[],  # no external script: the page works offline and under a strict CSP
        disable_xml_declaration=True,
        explicit_size=True,
        show_legend=len(series) > 1,
        print_values=not crowded,
        truncate_label=-1,
        x_label_rotation=90 if crowded else 0,
        x_labels_major_every=5 if crowded else None,
        show_minor_x_labels=not crowded,
        height=360 if crowded else 320,
        width=720,
    )
    chart.x_labels = list(labels)
    for name, values in series.items():
        chart.add(name, list(values))
    return _render(chart)


def horizontal_bar_chart(title: str, values: dict[str, float]) -> str:
    chart = pygal.HorizontalBar(
        title=title,
        style=STYLE,
        js=[],
        disable_xml_declaration=True,
        explicit_size=True,
        print_values=True,
        show_legend=False,
        height=320,
        width=720,
    )
    chart.x_labels = list(values)
    chart.add("Aantal", list(values.values()))
    return _render(chart)


def line_chart(title: str, labels: Sequence[str], series: dict[str, Sequence[float]]) -> str:
    chart = pygal.Line(
        title=title,
        style=STYLE,
        js=[],
        disable_xml_declaration=True,
        explicit_size=True,
        x_label_rotation=30,
        height=320,
        width=720,
    )
    chart.x_labels = list(labels)
    for name, values in series.items():
        chart.add(name, list(values))
    return _render(chart)
