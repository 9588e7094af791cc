"""The annual report's charts (consultations/statistics/charts.py): SVG that parses, says what it
shows, draws values to scale and escapes every text it is given."""

import xml.etree.ElementTree as ET

import pytest
from django.utils import translation

from consultations.statistics import charts
from consultations.statistics.tables import Column, Row, Table

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def _in_english():
    with translation.override("en"):
        yield


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # raises on anything that is not well-formed XML


def texts(svg: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in svg.iter(f"{SVG}text")]


def bars(svg: ET.Element) -> list[tuple[float, float, float]]:
    """(value, width, height) of each bar."""
    return [
        (float(r.get("data-value")), float(r.get("width")), float(r.get("height")))
        for r in svg.iter(f"{SVG}rect")
        if r.get("class") == "bar"
    ]


MONTHS = [("Apr", 16), ("May", 8), ("Jun", 4), ("Jul", 0)]


def test_a_bar_chart_is_svg_with_its_title_values_and_axis_labels():
    svg = parse(charts.bar_chart("m", "Sessions per month", MONTHS, value_label="sessions",
                                 category_label="month"))  # fmt: skip

    assert svg.tag == f"{SVG}svg"
    assert svg.get("role") == "img"
    assert svg.find(f"{SVG}title").text == "Sessions per month"
    assert "Apr: 16" in svg.find(f"{SVG}desc").text
    shown = texts(svg)
    assert {"Apr", "May", "Jun", "Jul", "16", "8", "4", "0", "sessions", "month"} <= set(shown)
    ids = svg.get("aria-labelledby").split()
    assert ids == ["chart-m-title", "chart-m-desc"]


def test_bars_are_as_tall_as_their_values_say():
    heights = {value: height for value, _w, height in bars(parse(
        charts.bar_chart("m", "t", MONTHS, value_label="n")))}  # fmt: skip

    assert heights[16] == pytest.approx(2 * heights[8], abs=0.2)
    assert heights[8] == pytest.approx(2 * heights[4], abs=0.2)
    assert heights[0] == 0


def test_horizontal_bars_are_as_long_as_their_values_say_and_keep_long_names_whole():
    name = "マイナンバーカード・マイナポータル"
    svg = parse(charts.horizontal_bar_chart("t", "Topics", [(name, 300), ("LINE", 100)],
                                            value_label="consultations"))  # fmt: skip

    (_v, long_bar, _h), (_v2, short_bar, _h2) = bars(svg)
    assert long_bar == pytest.approx(3 * short_bar, abs=0.2)
    assert name in texts(svg)
    assert "300" in texts(svg)


def test_a_line_chart_labels_every_year_and_fills_the_last_point():
    years = [("FY2023", 1400), ("FY2024", 1523)]
    svg = parse(charts.line_chart("trend", "Consultations received", years))

    points = list(svg.iter(f"{SVG}circle"))
    assert [float(c.get("data-value")) for c in points] == [1400, 1523]
    assert points[0].get("fill") == "#ffffff"
    assert points[1].get("fill") != "#ffffff"
    assert {"FY2023", "FY2024", "1,400", "1,523"} <= set(texts(svg))
    assert svg.find(f"{SVG}polyline") is not None
    higher = float(points[1].get("cy")) < float(points[0].get("cy"))
    assert higher


def test_text_given_to_a_chart_is_escaped():
    markup = charts.horizontal_bar_chart(
        "x", "<script>alert(1)</script>", [('A & B "quoted" <b>', 3)], value_label="n & m"
    )
    svg = parse(markup)

    assert "<script>" not in markup
    assert svg.find(f"{SVG}title").text == "<script>alert(1)</script>"
    assert 'A & B "quoted" <b>' in texts(svg)


def test_an_empty_or_all_zero_chart_still_draws():
    assert parse(charts.bar_chart("e", "Nothing", [], value_label="n")) is not None
    svg = parse(charts.horizontal_bar_chart("z", "Zeros", [("a", 0), ("b", None)],
                                            value_label="n"))  # fmt: skip
    assert [w for _v, w, _h in bars(svg)] == [0, 0]


def test_numbers_follow_the_language():
    with translation.override("ja"):
        svg = parse(charts.bar_chart("n", "t", [("4月", 1523)], value_label="件"))
    assert "1,523" in texts(svg)


def month_table(key) -> Table:
    columns = [Column("venue", "venue", "label"), Column("m04", "Apr"), Column("m05", "May"),
               Column("total", "total")]  # fmt: skip
    rows = [Row("1", "East hall", {"m04": 2, "m05": 3, "total": 5}),
            Row("2", "West hall", {"m04": 1, "m05": 0, "total": 1})]  # fmt: skip
    total = Row("total", "total", {"m04": 3, "m05": 3, "total": 6})
    return Table(key, "By venue and month", columns, rows, total=total, chart="stacked")


def test_the_venue_by_month_table_gets_its_months_and_its_venues():
    drawn = [parse(svg) for svg in charts.charts_for(month_table("consultations_by_venue_month"))]

    # The months twice (side by side for a wide screen, one under the other for a phone), then
    # the venues.
    assert [svg.get("class") for svg in drawn] == ["chart chart--wide", "chart chart--narrow",
                                                   "chart"]  # fmt: skip
    assert [v for v, _w, _h in bars(drawn[0])] == [3, 3]
    assert [v for v, _w, _h in bars(drawn[2])] == [5, 1]
    assert "East hall" in texts(drawn[2])


def test_a_table_without_a_chart_gets_none_and_the_trend_one_per_figure():
    plain = Table("x", "x", [Column("a", "a", "label"), Column("n", "n")], [Row("r", "r", {})])
    trend = Table(
        "trend", "Trend",
        [Column("fiscal_year", "year", "label"), Column("consultations", "Consultations"),
         Column("dispatches", "Visits")],
        [Row("2023", "FY2023", {"consultations": 10, "dispatches": 2}),
         Row("2024", "FY2024", {"consultations": 12, "dispatches": 3})],
        chart="line",
    )  # fmt: skip

    assert charts.charts_for(plain) == []
    small_multiples = [parse(svg) for svg in charts.charts_for(trend)]
    assert [svg.find(f"{SVG}title").text for svg in small_multiples] == ["Consultations", "Visits"]
