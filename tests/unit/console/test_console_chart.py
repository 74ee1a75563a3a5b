"""The server-drawn bar chart: one bar per day, scaled to the largest, every text escaped."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from xml.etree import ElementTree

from starport.entrypoints.console.chart import HEIGHT, TOP, bar_chart

SVG = "{http://www.w3.org/2000/svg}"


def bars(svg: str) -> list[ElementTree.Element]:
    return ElementTree.fromstring(svg).findall(f"{SVG}rect")


def test_one_bar_per_day_the_largest_full_height_each_with_its_day_and_value() -> None:
    # Given
    points = [(date(2026, 12, 1), 10), (date(2026, 12, 2), 0), (date(2026, 12, 3), 40)]
    # When
    svg = str(bar_chart(points, "Revenue per day"))
    # Then
    drawn = bars(svg)
    heights = [float(b.get("height") or 0) for b in drawn]
    full = HEIGHT - TOP - 22
    assert len(drawn) == 3
    assert heights == [full / 4, 0.0, full]
    assert [b.find(f"{SVG}title").text for b in drawn] == [  # type: ignore[union-attr]
        "2026-12-01: 10", "2026-12-02: 0", "2026-12-03: 40"]
    assert "2026-12-01" in svg and "2026-12-03" in svg


def test_decimal_values_and_negatives_draw() -> None:
    svg = str(bar_chart([(date(2026, 12, 1), Decimal("1.5")), (date(2026, 12, 2), -3)], "x"))

    heights = [float(b.get("height") or 0) for b in bars(svg)]
    assert heights[0] > 0 and heights[1] == 0.0


def test_no_points_draw_an_empty_chart_saying_so() -> None:
    svg = str(bar_chart([], "Revenue per day"))

    assert bars(svg) == [] and "no data yet" in svg
    ElementTree.fromstring(svg)  # well formed


def test_the_label_is_escaped() -> None:
    svg = str(bar_chart([(date(2026, 12, 1), 1)], '<script>alert("x")</script>'))

    assert "<script>" not in svg
    assert re.search(r"&lt;script&gt;", svg)
    ElementTree.fromstring(svg)
