"""Charts as inline SVG drawn on the server: no script, no chart library, no CDN.

Each chart is an ``<svg role="img">`` named by its ``<title>`` and ``<desc>``
(what a screen reader says), every bar carries its number as text, and the
pages show the same numbers in a table beside it.
"""
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 360  # about a phone's width, so the text is drawn near its natural size there
LABEL_WIDTH = 110  # horizontal bars: room for a community's name
VALUE_ROOM = 56  # … and for the number after the longest bar
ROW = 28
LABEL_CHARS = 7  # longer labels are cut (the full one is in the bar's tooltip and the table)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the value as shown: "12", "95.0%"


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[:LABEL_CHARS - 1] + "…"


def _frame(chart_id: str, title: str, description: str, height: int, body: list[str]) -> Markup:
    head = (f'<svg class="chart" id="{escape(chart_id)}" role="img" viewBox="0 0 {WIDTH} {height}" width="100%" '
            f'preserveAspectRatio="xMinYMin meet" aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
            f'xmlns="http://www.w3.org/2000/svg">'
            f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
            f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>')
    return Markup(head + "".join(body) + "</svg>")


def _text(css_class: str, content: str, x: float, y: float, anchor: str = "start") -> str:
    return f'<text class="{css_class}" x="{x}" y="{y}" text-anchor="{anchor}">{escape(content)}</text>'


def _bar(bar: Bar, x: float, y: float, width: float, height: float, label_at: tuple, value_at: tuple) -> str:
    """One bar with its tooltip, its (shortened) label and its number."""
    return (f'<g class="chart-row"><title>{escape(bar.label)}: {escape(bar.text)}</title>'
            f'<rect class="chart-bar" x="{x}" y="{y}" width="{width}" height="{height}" rx="3"/>'
            + _text("chart-label", _short(bar.label), *label_at) + _text("chart-value", bar.text, *value_at) + "</g>")


def bar_chart(chart_id: str, title: str, description: str, bars: list[Bar]) -> Markup:
    """Horizontal bars, one row each: the label, the bar, its number at the bar's end."""
    top = max([bar.value for bar in bars] + [0]) or 1
    room = WIDTH - LABEL_WIDTH - VALUE_ROOM
    body = []
    for index, bar in enumerate(bars):
        y = index * ROW + 4
        length = round(room * max(bar.value, 0) / top, 1)
        body.append(_bar(bar, LABEL_WIDTH, y + 3, length, ROW - 10, (LABEL_WIDTH - 8, y + 16, "end"),
                         (LABEL_WIDTH + length + 6, y + 16)))
    return _frame(chart_id, title, description, max(len(bars), 1) * ROW + 8, body)


def column_chart(chart_id: str, title: str, description: str, bars: list[Bar]) -> Markup:
    """Columns left to right (weeks): the number above each, the label below."""
    height, base, plot = 200, 165, 135  # the columns stand on ``base`` and reach ``plot`` high at most
    top = max([bar.value for bar in bars] + [0]) or 1
    slot = (WIDTH - 8) / max(len(bars), 1)
    body = [f'<line class="chart-axis" x1="4" y1="{base}" x2="{WIDTH - 4}" y2="{base}"/>']
    for index, bar in enumerate(bars):
        x = 4 + index * slot
        tall = round(plot * max(bar.value, 0) / top, 1)
        middle = round(x + slot / 2, 1)
        body.append(_bar(bar, round(x + slot * 0.2, 1), base - tall, round(slot * 0.6, 1), tall,
                         (middle, base + 18, "middle"), (middle, base - tall - 6, "middle")))
    return _frame(chart_id, title, description, height, body)
