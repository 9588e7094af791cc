"""The annual report as files (issue 12): an Excel workbook and a CSV, the same tables the page
and the API show, in the active language (the API activates the request's, Japanese by default).

Both are pure functions of an `AnnualReport`: `as_xlsx(report)` and `as_csv(report)` → bytes.

Excel: a first sheet with the headline and each figure's definition, then one sheet per table
(its title, its definition, a bold frozen header row, the rows, the total in bold). Numbers are
number cells: counts as whole numbers, shares with a percent format, hours with one decimal.
A cell corrected since the year was closed keeps the published value and notes the value now.

CSV (UTF-8 with a BOM, so Excel in Japan opens it as such): one file of blocks separated by a
blank line. The first block is the report's title and the day it runs to; each further block is
a table: its title on a row of its own, the header row, the rows, the total. Shares are written
as percentages (`25.12%`), which Excel reads as numbers; empty where nothing was divided.
"""

import csv
import io
import unicodedata

from django.utils import formats
from django.utils.translation import gettext, pgettext
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from consultations.statistics.report import AnnualReport
from consultations.statistics.tables import Column, Table

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
NUMBER_FORMATS = {"count": "#,##0", "percent": "0.0%", "hours": "#,##0.0"}
SHEET_NAME_LIMIT = 31  # Excel's
SHEET_NAME_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", " "))
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
HEADER_FILL = PatternFill("solid", fgColor="E7E6E6")  # light grey: reads in black and white too
WRAP = Alignment(wrap_text=True, vertical="top")
MIN_WIDTH, MAX_WIDTH, DEFINITION_WIDTH = 8, 50, 80


def filename(report: AnnualReport, file_format: str) -> str:
    return f"digisapo-annual-FY{report.fiscal_year.start_year}.{file_format}"


def report_title(report: AnnualReport) -> str:
    return gettext("Annual activity report, %(year)s") % {"year": report.fiscal_year.label}


def as_of_line(report: AnnualReport) -> str:
    day = formats.date_format(report.as_of, "DATE_FORMAT")
    if report.is_year_to_date:
        return gettext("Year to date, as of %(date)s") % {"date": day}
    return gettext("As of %(date)s") % {"date": day}


def closed_line(report: AnnualReport) -> str:
    if report.published is None:
        return gettext("Not closed: the figures follow the records.")
    day = formats.date_format(report.published.closed_at, "DATE_FORMAT")
    return gettext("Closed on %(date)s: these are the published figures.") % {"date": day}


# Excel ----------------------------------------------------------------------------------------


def as_xlsx(report: AnnualReport) -> bytes:
    """The report as an Excel workbook: a summary sheet, then one sheet per table."""
    workbook = Workbook()
    names: set[str] = set()
    summary = workbook.active
    summary.title = sheet_name(gettext("Summary"), names)
    _summary_sheet(summary, report)
    for table in report.tables:
        if table.key != "headline":  # the summary is the headline's sheet
            _table_sheet(workbook.create_sheet(sheet_name(str(table.title), names)), table)
    if report.differences:
        sheet = workbook.create_sheet(sheet_name(gettext("Corrections since closing"), names))
        _differences_sheet(sheet, report)
    workbook.properties.title = report_title(report)
    workbook.properties.creator = "digisapo"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def sheet_name(title: str, taken: set[str]) -> str:
    """`title` as Excel takes a sheet name: no []:*?/\\, at most 31 characters, and unlike the
    workbook's other names (which Excel compares ignoring case)."""
    base = " ".join(title.translate(SHEET_NAME_FORBIDDEN).split()).strip("'")[:SHEET_NAME_LIMIT]
    base = base or "Sheet"
    name, n = base, 1
    while name.casefold() in taken:
        n += 1
        suffix = f" ({n})"
        name = base[: SHEET_NAME_LIMIT - len(suffix)] + suffix
    taken.add(name.casefold())
    return name


def _summary_sheet(sheet, report: AnnualReport) -> None:
    sheet["A1"] = report_title(report)
    sheet["A1"].font = TITLE
    sheet["A2"] = as_of_line(report)
    sheet["A3"] = closed_line(report)
    headline = report.headline_table
    columns = [*headline.columns]
    if report.published is not None:
        columns.append(Column("now", gettext("now, with corrections")))
    header = [str(c.label) for c in columns] + [gettext("definition")]
    _header(sheet, 5, header)
    count = Column("value", "")
    for offset, figure in enumerate(report.figures):
        row = 6 + offset
        sheet.cell(row, 1, str(figure.label))
        values = [figure.value, figure.previous, figure.change]
        if report.published is not None:
            values.append(figure.now)
        for n, value in enumerate(values, start=2):
            _number(sheet.cell(row, n), count, value)
        definition = sheet.cell(row, len(header), str(figure.definition))
        definition.alignment = WRAP
    sheet.freeze_panes = "B6"
    _widths(sheet, first_row=5)
    sheet.column_dimensions[get_column_letter(len(header))].width = DEFINITION_WIDTH
    _printable(sheet)


def _table_sheet(sheet, table: Table) -> None:
    sheet["A1"] = str(table.title)
    sheet["A1"].font = TITLE
    if table.definition:
        sheet["A2"] = str(table.definition)
    _header(sheet, 3, [str(c.label) for c in table.columns])
    for offset, row in enumerate(table.all_rows):
        number = 4 + offset
        is_total = row is table.total
        for n, column in enumerate(table.columns, start=1):
            cell = sheet.cell(number, n)
            if column.kind == "label":
                cell.value = str(row.label)
            else:
                _number(cell, column, row.values.get(column.key))
                if (row.key, column.key) in table.corrected:
                    now = table.corrected[(row.key, column.key)]
                    cell.comment = Comment(
                        gettext("Published; the records now say %(now)s.")
                        % {"now": "—" if now is None else now},
                        "digisapo",
                    )
            if is_total:
                cell.font = BOLD
    sheet.freeze_panes = "B4"
    _widths(sheet, first_row=3)
    _printable(sheet)


def _differences_sheet(sheet, report: AnnualReport) -> None:
    sheet["A1"] = gettext("Corrections since closing")
    sheet["A1"].font = TITLE
    sheet["A2"] = closed_line(report)
    _header(sheet, 3, _difference_header())
    plain = Column("value", "", "number")
    for offset, (table, row, column, published, now) in enumerate(report.differences):
        number = 4 + offset
        for n, text in enumerate((table, row, column), start=1):
            sheet.cell(number, n, str(text))
        _number(sheet.cell(number, 4), plain, published)
        _number(sheet.cell(number, 5), plain, now)
    sheet.freeze_panes = "A4"
    _widths(sheet, first_row=3)
    _printable(sheet)


def _difference_header() -> list[str]:
    # Single words in a header: the context tells translators where they stand.
    return [
        pgettext("report corrections", "table"),
        pgettext("report corrections", "row"),
        pgettext("report corrections", "column"),
        pgettext("report corrections", "published"),
        pgettext("report corrections", "now"),
    ]


def _header(sheet, row: int, labels: list[str]) -> None:
    for n, label in enumerate(labels, start=1):
        cell = sheet.cell(row, n, label)
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _number(cell, column: Column, value) -> None:
    """A number cell, formatted by its column's kind (a "number" column's decimals by value)."""
    cell.value = value
    if value is None:
        return
    if column.kind in NUMBER_FORMATS:
        cell.number_format = NUMBER_FORMATS[column.kind]
    else:
        cell.number_format = "#,##0" if isinstance(value, int) else "#,##0.0"


def _widths(sheet, *, first_row: int) -> None:
    """Each column as wide as its longest text from the header down (a wide character counts
    two), within bounds; the title and definition above may run over into the next cells."""
    widths: dict[int, int] = {}
    for row in sheet.iter_rows(min_row=first_row):
        for cell in row:
            if cell.value is None:
                continue
            text = cell.value if isinstance(cell.value, str) else f"{cell.value:,}"
            widths[cell.column] = max(widths.get(cell.column, 0), _display_width(text) + 2)
    for column, width in widths.items():
        letter = get_column_letter(column)
        sheet.column_dimensions[letter].width = max(MIN_WIDTH, min(MAX_WIDTH, width))


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _printable(sheet) -> None:
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


# CSV ------------------------------------------------------------------------------------------


def as_csv(report: AnnualReport) -> bytes:
    """The report as one CSV: the title block, then every table, blocks split by a blank line."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([report_title(report)])
    writer.writerow([as_of_line(report)])
    writer.writerow([closed_line(report)])
    for table in report.tables:
        writer.writerow([])
        writer.writerow([str(table.title)])
        writer.writerow([str(c.label) for c in table.columns])
        for row in table.all_rows:
            writer.writerow(
                [
                    str(row.label) if c.kind == "label" else csv_value(c, row.values.get(c.key))
                    for c in table.columns
                ]
            )
    if report.differences:
        writer.writerow([])
        writer.writerow([gettext("Corrections since closing")])
        writer.writerow(_difference_header())
        for table, row, column, published, now in report.differences:
            writer.writerow([str(table), str(row), str(column), _plain(published), _plain(now)])
    return out.getvalue().encode("utf-8-sig")


def csv_value(column: Column, value) -> str:
    if value is None:
        return ""
    if column.kind == "percent":
        return f"{round(value * 100, 2):g}%"
    return _plain(value)


def _plain(value) -> str:
    return "" if value is None else str(value)
