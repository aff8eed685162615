"""The server's SVG charts: accessible names, one titled group per period drawn, text escaped."""

from __future__ import annotations

import re
from xml.etree import ElementTree

from api.web.svg_charts import Series, grouped_bars, stacked_bars

SVG = "{http://www.w3.org/2000/svg}"


def test_stacked_bars_name_every_value_of_a_period() -> None:
    chart = stacked_bars(
        "A & B <Plan>: outcomes",
        "Stacked bars.",
        ["2026-01", "2026-02"],
        [Series("approved", "#1e6b34", [2, 0]), Series("denied", "#a4161a", [1, 0])],
        unit="requests",
    )
    root = ElementTree.fromstring(str(chart))  # well-formed: the payer's name is escaped
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "A & B <Plan>: outcomes"  # type: ignore[union-attr]
    groups = root.findall(f"{SVG}g")
    # A period with nothing to draw has no bar and no group (the table says 0).
    assert [g.find(f"{SVG}title").text for g in groups] == [  # type: ignore[union-attr]
        "2026-01: 2 approved, 1 denied"
    ]
    assert len(groups[0].findall(f"{SVG}rect")) == 2
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert "2026-01" in labels and "requests" in labels and "approved" in labels


def test_grouped_bars_leave_out_missing_values() -> None:
    chart = grouped_bars(
        "Decision time",
        "Bars in hours.",
        ["Q1", "Q2"],
        [Series("median", "#0b5cad", [12.5, None]), Series("p90", "#8a3200", [40, None])],
        unit="hours",
    )
    root = ElementTree.fromstring(str(chart))
    groups = root.findall(f"{SVG}g")
    assert groups[0].find(f"{SVG}title").text == "Q1: median 12.5 hours, p90 40 hours"  # type: ignore[union-attr]
    assert len(groups) == 1  # Q2 has no value: no bar, no empty group
    heights = [float(r.get("height", 0)) for r in groups[0].findall(f"{SVG}rect")]
    assert heights[1] == max(heights) and re.fullmatch(r"\d+(\.\d)?", str(heights[0]))
