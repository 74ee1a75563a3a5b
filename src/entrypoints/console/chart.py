"""Charts drawn by the server: an inline SVG, no script, nothing fetched."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 180
TOP, BOTTOM = 16, 22  # room for the largest value above, the days below


def bar_chart(points: Sequence[tuple[date, int | Decimal]], label: str, *,
              width: int = WIDTH, height: int = HEIGHT) -> Markup:
    """One bar per (day, value), in the order given, scaled to the largest value; each bar has
    a tooltip ("2026-12-01: 42"). Negative values draw as empty bars."""
    title = escape(label)
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'aria-label="{title}"><title>{title}</title>')
    if not points:
        empty = (f'<text x="{width // 2}" y="{height // 2}" text-anchor="middle" '
                 f'class="chart-empty">no data yet</text></svg>')
        return Markup(head + empty)  # noqa: S704 (the label went through escape)
    top = max(max(value for _, value in points), 0)
    plot = height - TOP - BOTTOM
    step = width / len(points)
    bar = max(step * 0.8, 1.0)
    parts = [head]
    for i, (day, value) in enumerate(points):
        tall = plot * float(value) / float(top) if top > 0 and value > 0 else 0.0
        x = i * step + (step - bar) / 2
        parts.append(f'<rect class="bar" x="{x:.1f}" y="{TOP + plot - tall:.1f}" '
                     f'width="{bar:.1f}" height="{tall:.1f}">'
                     f'<title>{escape(day.isoformat())}: {escape(str(value))}</title></rect>')
    baseline = TOP + plot
    parts.append(f'<line class="axis" x1="0" y1="{baseline}" x2="{width}" y2="{baseline}"/>')
    parts.append(f'<text class="chart-max" x="2" y="{TOP - 4}">{escape(str(top))}</text>')
    first, last = points[0][0], points[-1][0]
    parts.append(f'<text x="2" y="{height - 6}">{escape(first.isoformat())}</text>')
    if last != first:
        parts.append(f'<text x="{width - 2}" y="{height - 6}" text-anchor="end">'
                     f'{escape(last.isoformat())}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text in it went through escape)
