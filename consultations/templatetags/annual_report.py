"""The annual report's cells and charts on the page and in print (issue 12).

`{{ value|report_value:column.kind }}`: a table cell in the language's own way of writing
numbers (1,523; 22.4%); "—" where there is nothing to show. `{{ change|signed }}` and
`{{ share|signed_percent }}`: a change against the previous year, with its sign.
`{% table_charts table as charts %}`: the SVG charts drawn from a table (statistics/charts.py).
"""

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from consultations.statistics import charts

register = template.Library()

NOTHING = "—"


def _percent(fraction) -> str:
    return gettext("%(percent)s%%") % {"percent": charts.one_decimal(fraction * 100)}


@register.filter
def report_value(value, kind="count") -> str:
    if value is None or value == "":
        return NOTHING
    if kind == "percent":
        return _percent(value)
    if kind == "hours" or (kind == "number" and value != int(value)):
        return charts.one_decimal(value)
    return charts.count(value)


@register.filter
def signed(value) -> str:
    if value is None:
        return NOTHING
    return f"+{charts.count(value)}" if value > 0 else charts.count(value)


@register.filter
def signed_percent(fraction) -> str:
    if fraction is None:
        return NOTHING
    return f"+{_percent(fraction)}" if fraction > 0 else _percent(fraction)


@register.simple_tag
def table_charts(table) -> list:
    # Safe: charts.py escapes every text it puts in the markup.
    return [mark_safe(svg) for svg in charts.charts_for(table)]


@register.filter
def report_cells(table, row) -> list:
    """`table.cells(row)`: (column, value, the value now where it was corrected)."""
    return table.cells(row)
