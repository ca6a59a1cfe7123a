"""Charts drawn on the server as inline SVG: nothing to download, nothing to run in the page.

Two shapes cover the dashboard: columns stacked by series (one per day) and horizontal bars,
one or more per row. Every mark has a <title>, so hovering it tells its exact figure, and the
chart's aria-label says what it shows.
"""

import math
from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH = 560
FONT = 13


def _r(value: float) -> float:
    return round(value, 1)


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    color: str


def _legend(series: list[Series], y: float) -> SafeString:
    items, x = [], 0.0
    for s in series:
        items.append(
            format_html(
                '<g class="legend-item"><rect x="{}" y="{}" width="10" height="10" rx="2" fill="{}"/>'
                '<text x="{}" y="{}">{}</text></g>',
                x,
                y,
                s.color,
                x + 14,
                y + 9,
                s.label,
            )
        )
        x += 26 + len(s.label) * 7.5
    return mark_safe("".join(items))  # every item came from format_html


def _svg(height: float, label: str, body: SafeString, kind: str) -> SafeString:
    return format_html(
        '<svg class="chart chart--{}" viewBox="0 0 {} {}" width="100%" role="img" aria-label="{}" '
        'font-size="{}" xmlns="http://www.w3.org/2000/svg">{}</svg>',
        kind,
        WIDTH,
        height,
        label,
        FONT,
        body,
    )


def stacked_columns(
    columns: list[tuple[str, dict[str, float]]], series: list[Series], *, label: str, unit: str = ""
) -> SafeString:
    """One column per (label, {series key: value}), its series stacked bottom up."""
    top, plot_h, left, bottom = 28, 180, 36, 36
    top_value = max([sum(values.values()) for _, values in columns] + [1])
    step = (WIDTH - left - 20) / max(len(columns), 1)  # room for the last label
    bar_w = max(step * 0.7, 2)
    every = max(1, math.ceil(len(columns) / 8))
    parts = [_legend(series, 0)]
    for fraction in (0, 0.5, 1):
        y = top + plot_h * (1 - fraction)
        tick = round(top_value * fraction)
        parts.append(
            format_html(
                '<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}"/><text class="axis" x="{}" y="{}" '
                'text-anchor="end">{}</text>',
                left,
                WIDTH,
                _r(y),
                _r(y),
                left - 6,
                _r(y + 4),
                tick,
            )
        )
    for i, (name, values) in enumerate(columns):
        x = left + i * step + (step - bar_w) / 2
        y = top + plot_h
        for s in series:
            n = values.get(s.key, 0)
            if not n:
                continue
            h = plot_h * n / top_value
            y -= h
            parts.append(
                format_html(
                    '<rect class="bar" data-series="{}" x="{}" y="{}" width="{}" height="{}" '
                    'fill="{}"><title>{}: {} {}{}</title></rect>',
                    s.key,
                    _r(x),
                    _r(y),
                    _r(bar_w),
                    _r(h),
                    s.color,
                    name,
                    n,
                    s.label.lower(),
                    unit,
                )
            )
        # At most 8 labels fit under the columns; the latest column always has one.
        if (len(columns) - 1 - i) % every == 0:
            parts.append(
                format_html(
                    '<text class="axis" x="{}" y="{}" text-anchor="middle">{}</text>',
                    _r(x + bar_w / 2),
                    top + plot_h + 16,
                    name,
                )
            )
    return _svg(top + plot_h + bottom, label, mark_safe("".join(parts)), "columns")


def horizontal_bars(
    rows: list[tuple[str, dict[str, float]]], series: list[Series], *, label: str, fmt=str
) -> SafeString:
    """One group of bars per (row label, {series key: value}); `fmt` writes a value."""
    left, right, bar_h, gap, top = 200, 70, 16, 10, 24 if len(series) > 1 else 4
    per_row = bar_h * len(series) + gap
    top_value = max([v for _, values in rows for v in values.values()] + [0]) or 1
    span = WIDTH - left - right
    parts = [_legend(series, 0)] if len(series) > 1 else []
    for i, (name, values) in enumerate(rows):
        y0 = top + i * per_row
        parts.append(
            format_html(
                '<text class="row-label" x="{}" y="{}" text-anchor="end">{}</text>',
                left - 8,
                _r(y0 + per_row / 2 + 4),
                name if len(name) <= 28 else name[:27] + "…",
            )
        )
        for j, s in enumerate(series):
            v = values.get(s.key, 0)
            w = max(span * v / top_value, 1 if v else 0)
            y = y0 + j * bar_h
            parts.append(
                format_html(
                    '<rect class="bar" data-series="{}" x="{}" y="{}" width="{}" height="{}" rx="2" '
                    'fill="{}"><title>{} · {}: {}</title></rect>'
                    '<text class="value" x="{}" y="{}">{}</text>',
                    s.key,
                    left,
                    _r(y + 1),
                    _r(w),
                    bar_h - 2,
                    s.color,
                    name,
                    s.label,
                    fmt(v),
                    _r(left + w + 6),
                    _r(y + bar_h - 3),
                    fmt(v),
                )
            )
    height = top + len(rows) * per_row + 4
    return _svg(height, label, mark_safe("".join(parts)), "bars")
