"""Small bar charts drawn as SVG on the server: no plotting library, no script, no CDN.

Two shapes are enough for the payer performance page: stacked bars (parts of a whole per
period) and grouped bars (two measures side by side per period). Every chart is an accessible
image: `role="img"` named by its `<title>` and described by its `<desc>`; each period's bars
share one `<title>` naming every value, and the axes, period labels and legend are real
`<text>`. Colours are SVG presentation attributes (the page's
Content-Security-Policy forbids inline styles) and never the only cue: the legend names each
series, and the table beside the chart holds every figure. All text is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import count

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 28, 40
INK = "#1b1f24"
GRID = "#c9ced6"
_ids = count(1)


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    values: Sequence[float | None]


def _nice_top(largest: float) -> float:
    """A round upper end for the axis: 1, 2, 2.5 or 5 times a power of ten, at least `largest`."""
    if largest <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(largest))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= largest:
            return step * power
    return 10.0 * power  # pragma: no cover - the loop always returns


def _number(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def _frame(title: str, description: str, body: list[str], top: float, unit: str) -> Markup:
    ident = f"chart-{next(_ids)}"
    plot_bottom = HEIGHT - BOTTOM
    grid = []
    for fraction in (0, 0.5, 1):
        y = plot_bottom - fraction * (plot_bottom - TOP)
        grid.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="{INK}">{escape(_number(top * fraction))}</text>'
        )
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{ident}-title">{escape(title)}</title>'
        f'<desc id="{ident}-desc">{escape(description)}</desc>'
        f'<text x="2" y="16" font-size="11" fill="{INK}">{escape(unit)}</text>'
        + "".join(grid)
        + "".join(body)
        + "</svg>"
    )


def _legend(series: Sequence[Series], unit: str) -> list[str]:
    parts, x = [], 16 + 7 * len(unit)  # after the unit's label
    for one in series:
        parts.append(
            f'<rect x="{x}" y="6" width="12" height="12" fill="{one.colour}"/>'
            f'<text x="{x + 16}" y="16" font-size="12" fill="{INK}">{escape(one.name)}</text>'
        )
        x += 24 + 7 * len(one.name)
    return parts


def _slots(labels: Sequence[str]) -> tuple[float, list[float]]:
    """The width of each period's slot and its left edge."""
    width = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    return width, [LEFT + i * width for i in range(len(labels))]


def _label(x: float, label: str, slot: float) -> str:
    # Every period is labelled when there is room; otherwise every n-th, the rest in the titles.
    return (
        f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" font-size="11" '
        f'fill="{INK}">{escape(label)}</text>'
        if slot >= 7 * len(label)
        else ""
    )


def _bar(x: float, y: float, width: float, height: float, colour: str) -> str:
    return (
        f'<rect x="{x:.0f}" y="{y:.1f}" width="{width:.0f}" height="{height:.1f}" fill="{colour}"/>'
    )


def _group(title: str, bars: list[str]) -> str:
    """A period's bars under one `<title>` naming every value (a tooltip, and what a screen
    reader reaches): one per period keeps a long range's chart small."""
    return f"<g><title>{escape(title)}</title>{''.join(bars)}</g>" if bars else ""


def stacked_bars(
    title: str, description: str, labels: Sequence[str], series: Sequence[Series], unit: str
) -> Markup:
    """One bar per label, its segments the series' values stacked bottom up."""
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(labels))]
    top = _nice_top(max(totals, default=0))
    scale = (HEIGHT - BOTTOM - TOP) / top
    slot, lefts = _slots(labels)
    body = _legend(series, unit)
    stride = max(1, math.ceil(7 * max((len(x) for x in labels), default=1) / slot))
    for i, (label, left) in enumerate(zip(labels, lefts, strict=True)):
        base = float(HEIGHT - BOTTOM)
        bars, said = [], []
        for one in series:
            value = one.values[i] or 0
            said.append(f"{_number(value)} {one.name}")
            if value <= 0:
                continue
            height = value * scale
            base -= height
            bars.append(_bar(left + slot * 0.15, base, slot * 0.7, height, one.colour))
        body.append(_group(f"{label}: " + ", ".join(said), bars))
        if i % stride == 0:
            body.append(_label(left + slot / 2, label, slot * stride))
    return _frame(title, description, body, top, unit)


def grouped_bars(
    title: str, description: str, labels: Sequence[str], series: Sequence[Series], unit: str
) -> Markup:
    """Per label, one bar per series side by side; a missing value draws no bar."""
    present = [v for s in series for v in s.values if v is not None]
    top = _nice_top(max(present, default=0))
    scale = (HEIGHT - BOTTOM - TOP) / top
    slot, lefts = _slots(labels)
    body = _legend(series, unit)
    stride = max(1, math.ceil(7 * max((len(x) for x in labels), default=1) / slot))
    width = slot * 0.8 / max(len(series), 1)
    for i, (label, left) in enumerate(zip(labels, lefts, strict=True)):
        bars, said = [], []
        for j, one in enumerate(series):
            value = one.values[i]
            if value is None:
                continue
            said.append(f"{one.name} {_number(value)} {unit}")
            height = value * scale
            x = left + slot * 0.1 + j * width
            bars.append(_bar(x, HEIGHT - BOTTOM - height, width, height, one.colour))
        body.append(_group(f"{label}: " + ", ".join(said), bars))
        if i % stride == 0:
            body.append(_label(left + slot / 2, label, slot * stride))
    return _frame(title, description, body, top, unit)
