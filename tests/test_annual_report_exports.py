"""The annual report's Excel and CSV files (issue 12), read back: the same tables as the report,
numbers as numbers, Japanese headings, and a closed year's corrections beside its figures."""

import csv
import io
import re
from datetime import date, datetime, time
from io import StringIO

import openpyxl
import pytest
from django.utils import translation

from config.fiscal import TOKYO, FiscalYear
from consultations.statistics import exports
from consultations.statistics.report import build_annual_report, close_fiscal_year
from sessions.models import Session
from tests import factories

TODAY = date(2026, 11, 23)
NOW = datetime.combine(TODAY, time(10), tzinfo=TOKYO)
FY2024 = FiscalYear(2024)
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo data, made once for the module and rolled back after its tests."""
    with factories.made_once(
        django_db_blocker, "seed_demo", now=NOW, debug=False, stdout=StringIO()
    ):
        yield


@pytest.fixture
def demo(seeded, db, time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def report(demo):
    """FY2024's report, built (and exported) in Japanese as the API does by default."""
    with translation.override("ja"):
        yield build_annual_report(FY2024)


@pytest.fixture
def workbook(report):
    return openpyxl.load_workbook(io.BytesIO(exports.as_xlsx(report)))


def table_sheets(report, workbook, *, corrections=False):
    """(table, its sheet) after the summary, and before the corrections' sheet if any."""
    tables = [table for table in report.tables if table.key != "headline"]
    sheets = workbook.worksheets[1 : -1 if corrections else None]
    return list(zip(tables, sheets, strict=True))


def column_number(table, key: str) -> int:
    return next(n for n, column in enumerate(table.columns, start=1) if column.key == key)


def header(sheet, row=3) -> list:
    return [cell.value for cell in sheet[row]]


# Excel ------------------------------------------------------------------------------------------


def test_the_workbook_has_a_summary_then_one_sheet_per_table(report, workbook):
    names = workbook.sheetnames

    assert names[0] == "概要"
    assert len(names) == len(report.tables)  # the summary is the headline table's sheet
    assert all(len(name) <= 31 for name in names)
    assert len({name.casefold() for name in names}) == len(names)
    for table, sheet in table_sheets(report, workbook):
        assert sheet.title == exports.sheet_name(str(table.title), set())
        assert sheet["A1"].value == str(table.title)


def test_every_sheet_holds_its_tables_values_as_number_cells(report, workbook):
    for table, sheet in table_sheets(report, workbook):
        assert header(sheet) == [str(column.label) for column in table.columns]
        rows = list(sheet.iter_rows(min_row=4))
        assert len(rows) == len(table.all_rows), table.key
        for cells, row in zip(rows, table.all_rows, strict=True):
            for cell, column in zip(cells, table.columns, strict=True):
                value = row.values.get(column.key)
                if column.kind == "label":
                    assert cell.value == str(row.label)
                elif value is None:
                    assert cell.value is None
                else:  # a share of 100 % is read back as the whole number 1
                    assert isinstance(cell.value, int | float), (table.key, column.key)
                    assert cell.value == value
                    if column.kind == "count":
                        assert type(cell.value) is int


def test_the_workbook_numbers_are_formatted_by_kind(report, workbook):
    sheets = {table.key: sheet for table, sheet in table_sheets(report, workbook)}
    topics, table = sheets["consultations_by_topic"], report.table("consultations_by_topic")
    share = topics.cell(4, column_number(table, "share"))
    assert (type(share.value), share.number_format) == (float, "0.0%")
    count = topics.cell(4, column_number(table, "consultations"))
    assert (type(count.value), count.number_format) == (int, "#,##0")
    supporters, table = sheets["supporters_year"], report.table("supporters_year")
    row = 4 + [row.key for row in table.rows].index("hours")
    hours = supporters.cell(row, column_number(table, "value"))
    assert (type(hours.value), hours.number_format) == (float, "#,##0.0")
    shifts = supporters.cell(row - 1, column_number(table, "value"))
    assert (type(shifts.value), shifts.number_format) == (int, "#,##0")


def test_the_headings_are_japanese(report, workbook):
    by_venue = workbook.worksheets[1]

    assert header(by_venue)[:4] == ["会場", "4月", "5月", "6月"]
    assert JAPANESE.search(workbook.worksheets[0]["A1"].value)
    with translation.override("en"):
        english = openpyxl.load_workbook(io.BytesIO(exports.as_xlsx(build_annual_report(FY2024))))
    assert header(english.worksheets[1])[:2] == ["venue", "April"]


def test_the_summary_sheet_gives_each_figure_its_value_and_definition(report, workbook):
    summary = workbook.worksheets[0]

    assert "2024年度（令和6年度）" in summary["A1"].value
    assert summary["A2"].value == "2025年3月31日 時点"
    rows = list(summary.iter_rows(min_row=6, values_only=True))
    assert [row[0] for row in rows] == [str(figure.label) for figure in report.figures]
    assert [row[1] for row in rows] == [figure.value for figure in report.figures]
    assert [row[1] for row in rows][:5] == [175, 1523, 72, 658, 132]
    assert [row[-1] for row in rows] == [str(figure.definition) for figure in report.figures]


def test_the_header_rows_are_bold_and_frozen_and_the_columns_readable(report, workbook):
    summary = workbook.worksheets[0]
    assert summary.freeze_panes == "B6"
    assert all(cell.font.bold for cell in summary[5])
    for table, sheet in table_sheets(report, workbook):
        assert sheet.freeze_panes == "B4"
        assert all(cell.font.bold for cell in sheet[3])
        if table.total is not None:
            assert all(cell.font.bold for cell in sheet[sheet.max_row])
        widths = [sheet.column_dimensions[c.column_letter].width for c in sheet[3]]
        assert all(8 <= width <= 50 for width in widths), sheet.title


def test_sheet_names_are_cut_to_31_characters_and_kept_unique():
    taken: set[str] = set()
    long = "よろず相談所の開催回数、会場別・月別、令和6年度分、全会場の合計つき"

    names = [exports.sheet_name(title, taken) for title in [long, long, "a/b:c?", "A/B:C?"]]

    assert names[0] == long[:31]
    assert names[1] == long[:27] + " (2)"
    assert names[2:] == ["a b c", "A B C (2)"]
    assert all(len(name) <= 31 for name in names)


def test_the_files_are_named_for_the_year(report):
    assert exports.filename(report, "xlsx") == "digisapo-annual-FY2024.xlsx"
    assert exports.filename(report, "csv") == "digisapo-annual-FY2024.csv"


# CSV --------------------------------------------------------------------------------------------


def csv_blocks(data: bytes) -> list[list[list[str]]]:
    assert data.startswith(b"\xef\xbb\xbf")  # Excel in Japan reads it as UTF-8
    blocks, block = [], []
    for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))):
        if row:
            block.append(row)
        else:
            blocks.append(block)
            block = []
    return [*blocks, block]


def parsed(column, text: str):
    if text == "":
        return None
    if column.kind == "percent":
        return pytest.approx(float(text.removesuffix("%")) / 100)
    return int(text) if column.kind == "count" else float(text)


def test_the_csv_holds_every_table_after_its_title(report):
    cover, *blocks = csv_blocks(exports.as_csv(report))

    assert cover[0] == [exports.report_title(report)]
    assert len(blocks) == len(report.tables)
    for block, table in zip(blocks, report.tables, strict=True):
        title, columns, *rows = block
        assert title == [str(table.title)]
        assert columns == [str(column.label) for column in table.columns]
        assert len(rows) == len(table.all_rows)
        for values, row in zip(rows, table.all_rows, strict=True):
            for text, column in zip(values, table.columns, strict=True):
                if column.kind == "label":
                    assert text == str(row.label)
                else:
                    assert row.values.get(column.key) == parsed(column, text)


def test_the_csv_headline_is_the_citys_own_figures(report):
    _cover, headline, *_rest = csv_blocks(exports.as_csv(report))

    assert [row[1] for row in headline[2:7]] == ["175", "1523", "72", "658", "132"]
    assert headline[1][:2] == [str(report.headline_table.columns[0].label), "2024年度（令和6年度）"]


# A closed year ----------------------------------------------------------------------------------


def test_a_closed_years_files_keep_the_published_figures_and_list_the_corrections(
    demo, coordinator
):
    close_fiscal_year(FY2024, by=coordinator)
    held = Session.objects.in_fiscal_year(FY2024).took_place().of_kind(Session.Kind.HELPDESK)
    factories.consultation(session=held.order_by("starts_at").first())
    with translation.override("ja"):
        report = build_annual_report(FY2024)
        workbook = openpyxl.load_workbook(io.BytesIO(exports.as_xlsx(report)))
        blocks = csv_blocks(exports.as_csv(report))

    summary = workbook.worksheets[0]
    consultations = next(row for row in summary.iter_rows(min_row=6) if row[1].value == 1523)
    assert consultations[4].value == 1524  # now, with the correction
    corrections = workbook.worksheets[-1]
    assert corrections.max_row - 3 == len(report.differences)
    assert [corrections.cell(4, 4).value, corrections.cell(4, 5).value] == [1523, 1524]
    sheets = {t.key: sheet for t, sheet in table_sheets(report, workbook, corrections=True)}
    total = sheets["consultations_by_venue_month"]
    assert total.cell(total.max_row, total.max_column).value == 1523
    assert total.cell(total.max_row, total.max_column).comment is not None
    assert blocks[-1][0] == [corrections["A1"].value]
    assert blocks[-1][2][3:] == ["1523", "1524"]
