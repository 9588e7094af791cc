"""The annual report's charts (issue 12) as server-rendered SVG: no JavaScript library, nothing
fetched from another site, the same markup on the page and in print.

Readable in black and white: dark grey bars on white, every bar and point labelled with its
value, labelled axes, light dashed grid lines. Each chart is an `<svg role="img">` whose
`<title>` names it and whose `<desc>` reads its values out; the table it draws sits beside it.

Pure functions returning markup (a `str`, every text escaped here); `charts_for(table)` picks
the charts a report table gets, and `consultations.templatetags.report_charts` puts them on the
page.
"""

import math
import re
from collections.abc import Callable, Sequence
from html import escape

from django.utils.formats import number_format
from django.utils.translation import gettext, pgettext

from consultations.statistics.tables import Table

BAR = "#3d3d3d"  # 11:1 against white: a bar reads as a bar on any printer
GRID = "#8a8a8a"
TEXT = "#1b1b1b"
FONT = 15  # in the chart's own units; a 480-wide chart on a 390px phone still shows ~12px
LINE_HEIGHT = 20


def count(value) -> str:
    """A whole number with the language's thousands separator: 1,523."""
    return number_format(value or 0, decimal_pos=0, use_l10n=True, force_grouping=True)


def one_decimal(value) -> str:
    # Rounded first: number_format cuts the digits it does not show (66.67 would read 66.6).
    return number_format(round(value or 0, 1), decimal_pos=1, use_l10n=True, force_grouping=True)


def _e(text) -> str:
    return escape(str(text), quote=True)


def _nice_ceiling(value: float) -> float:
    """The top of the value axis: 1, 2, 2.5 or 5 times a power of ten, at or above `value`."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover (the loop ends at 10)


def _ticks(top: float, n: int = 4) -> list[float]:
    return [top * i / n for i in range(n + 1)]


def _text_width(text: str, size: float = FONT) -> float:
    """About how wide `text` runs: a Japanese character is a full em, a Latin one about half."""
    return sum(size if ord(ch) > 0x2E80 else size * 0.6 for ch in str(text))


def _wrap(text, width: float) -> list[str]:
    """`text` in lines that fit `width`: broken at spaces, or anywhere in a long Japanese word."""
    lines, line = [], ""
    for word in re.findall(r"\S+\s*", str(text)):
        for piece in [word] if _text_width(word.strip()) <= width else list(word):
            if line and _text_width((line + piece).strip()) > width:
                lines.append(line.strip())
                line = ""
            line += piece
    return [*lines, line.strip()]


def _svg(key, width, height, title, desc, body, *, variant="") -> str:
    ident = _e(f"chart-{key}")
    css_class = f"chart chart--{_e(variant)}" if variant else "chart"
    return "".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" viewBox="0 0 {width:g} '
            f'{height:g}" width="{width:g}" height="{height:g}" role="img" '
            f'aria-labelledby="{ident}-title {ident}-desc" font-size="{FONT}" '
            f'font-family="sans-serif" fill="{TEXT}">',
            f'<title id="{ident}-title">{_e(title)}</title>',
            f'<desc id="{ident}-desc">{_e(desc)}</desc>',
            *body,
            "</svg>",
        ]
    )


def _values_read_out(items: Sequence[tuple[str, float]], fmt: Callable) -> str:
    return pgettext("between a chart's values", "; ").join(
        gettext("%(label)s: %(value)s") % {"label": label, "value": fmt(value)}
        for label, value in items
    )


def bar_chart(
    key: str,
    title: str,
    items: Sequence[tuple[str, float]],
    *,
    value_label: str,
    category_label: str = "",
    fmt: Callable = count,
    variant: str = "",
) -> str:
    """Vertical bars, one per (label, value), in the given order (months, bands)."""
    left, right, top, bottom = 52, 12, 34 + LINE_HEIGHT, 30 + (LINE_HEIGHT if category_label else 0)
    slot = max(34, max((_text_width(label) for label, _v in items), default=0) + 6)
    plot_w, plot_h = slot * max(len(items), 1), 180
    width, height = left + plot_w + right, top + plot_h + bottom
    axis_top = _nice_ceiling(max((v or 0 for _l, v in items), default=0))
    body = [f'<text x="0" y="{FONT + 2}" font-weight="bold">{_e(value_label)}</text>']
    for tick in _ticks(axis_top):
        y = top + plot_h - tick / axis_top * plot_h
        body.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}" '
            f'stroke-width="1" stroke-dasharray="{"none" if tick == 0 else "3 3"}"/>'
            f'<text x="{left - 6}" y="{y + 5:.1f}" text-anchor="end">{_e(fmt(tick))}</text>'
        )
    for i, (label, value) in enumerate(items):
        bar_h = (value or 0) / axis_top * plot_h
        x = left + i * slot + slot * 0.15
        y = top + plot_h - bar_h
        centre = left + i * slot + slot / 2
        body.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{bar_h:.1f}" fill="{BAR}" data-value="{_e(value or 0)}"/>'
            f'<text x="{centre:.1f}" y="{y - 5:.1f}" text-anchor="middle">{_e(fmt(value))}</text>'
            f'<text x="{centre:.1f}" y="{top + plot_h + LINE_HEIGHT:.1f}" '
            f'text-anchor="middle">{_e(label)}</text>'
        )
    if category_label:
        body.append(
            f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle" '
            f'font-weight="bold">{_e(category_label)}</text>'
        )
    return _svg(key, width, height, title, _values_read_out(items, fmt), body, variant=variant)


def horizontal_bar_chart(
    key: str,
    title: str,
    items: Sequence[tuple[str, float]],
    *,
    value_label: str,
    fmt: Callable = count,
    variant: str = "",
) -> str:
    """One bar per (label, value), each under its label: long names (topics, venues) need no
    cutting short, and the chart stays narrow enough for a phone."""
    width, row_h, top = 360, 2 * LINE_HEIGHT + 8, LINE_HEIGHT + 12
    values_room = max((_text_width(fmt(v)) for _l, v in items), default=0) + 12
    plot_w = width - values_room
    axis_top = max((v or 0 for _l, v in items), default=0) or 1
    body = [f'<text x="0" y="{FONT + 2}" font-weight="bold">{_e(value_label)}</text>']
    for i, (label, value) in enumerate(items):
        y = top + i * row_h
        bar_w = (value or 0) / axis_top * plot_w
        body.append(
            f'<text x="0" y="{y + FONT:.1f}">{_e(label)}</text>'
            f'<rect class="bar" x="0" y="{y + LINE_HEIGHT + 2:.1f}" width="{bar_w:.1f}" '
            f'height="{LINE_HEIGHT - 4}" fill="{BAR}" data-value="{_e(value or 0)}"/>'
            f'<text x="{bar_w + 6:.1f}" y="{y + LINE_HEIGHT + FONT:.1f}">{_e(fmt(value))}</text>'
        )
    height = top + len(items) * row_h + 4
    body.append(
        f'<line x1="0" x2="0" y1="{top + LINE_HEIGHT}" y2="{height - 4}" stroke="{TEXT}" '
        'stroke-width="1"/>'
    )
    return _svg(key, width, height, title, _values_read_out(items, fmt), body, variant=variant)


def line_chart(
    key: str,
    title: str,
    points: Sequence[tuple[str, float]],
    *,
    fmt: Callable = count,
) -> str:
    """One figure over the years: a line through labelled points, the last one filled (the
    year the report is for). Small enough to sit in a grid of several (small multiples)."""
    slot = max(64, max((_text_width(label) for label, _v in points), default=0) + 8)
    width = max(12 + slot * max(len(points), 1) + 12, 280)
    heading = _wrap(title, width)
    left, right, top, bottom = 12, 12, 26 + LINE_HEIGHT * len(heading), LINE_HEIGHT + 12
    plot_w, plot_h = width - left - right, 110
    slot = plot_w / max(len(points), 1)  # the points spread over the whole width
    height = top + plot_h + bottom
    axis_top = _nice_ceiling(max((v or 0 for _l, v in points), default=0))
    label_every = max(1, math.ceil(len(points) / 6))
    body = [
        f'<text x="0" y="{FONT + 2}" font-weight="bold">'
        + "".join(
            f'<tspan x="0" dy="{0 if i == 0 else LINE_HEIGHT}">{_e(line)}</tspan>'
            for i, line in enumerate(heading)
        )
        + "</text>",
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" '
        f'stroke="{TEXT}" stroke-width="1"/>',
    ]
    coords = []
    for i, (label, value) in enumerate(points):
        x = left + i * slot + slot / 2
        y = top + plot_h - (value or 0) / axis_top * plot_h
        coords.append((x, y))
        last = i == len(points) - 1
        shown = last or i % label_every == 0
        body.append(
            f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="5" stroke="{TEXT}" '
            f'stroke-width="2" fill="{TEXT if last else "#ffffff"}" data-value="{_e(value or 0)}"/>'
        )
        if shown:
            weight = "bold" if last else "normal"
            body.append(
                f'<text x="{x:.1f}" y="{y - 10:.1f}" text-anchor="middle" '
                f'font-weight="{weight}">{_e(fmt(value))}</text>'
                f'<text x="{x:.1f}" y="{top + plot_h + LINE_HEIGHT:.1f}" '
                f'text-anchor="middle">{_e(label)}</text>'
            )
    if len(coords) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        body.insert(2, f'<polyline points="{path}" fill="none" stroke="{TEXT}" stroke-width="2"/>')
    return _svg(key, width, height, title, _values_read_out(points, fmt), body)


# Which charts a report table gets ------------------------------------------------------------

MONTHLY = {
    "help_desk_sessions_by_venue_month": (
        lambda: gettext("Help-desk sessions held, per month"),
        lambda: gettext("sessions"),
    ),
    "consultations_by_venue_month": (
        lambda: gettext("Consultations, per month"),
        lambda: gettext("consultations"),
    ),
}
VERTICAL = {"shifts_per_supporter"}  # bands in order: read left to right


def _short_year(row) -> str:
    return pgettext("short fiscal year", "FY%(year)s") % {"year": row.key}


def _upright_and_sideways(key, title, items, *, value_label, category_label) -> list[str]:
    """Months or bands side by side for a wide screen and print, one under the other for a
    phone (twelve upright bars on 390 px would shrink their labels past reading); the page's
    CSS shows one of the two."""
    return [
        bar_chart(
            key,
            title,
            items,
            value_label=value_label,
            category_label=category_label,
            variant="wide",
        ),
        horizontal_bar_chart(
            f"{key}-narrow", title, items, value_label=value_label, variant="narrow"
        ),
    ]


def charts_for(table: Table) -> list[str]:
    """The charts drawn from `table` (none if it has no chart), in the order they show."""
    if table.chart == "line":
        return [
            line_chart(
                f"{table.key}-{column.key}",
                column.label,
                [(_short_year(row), row.values.get(column.key)) for row in table.rows],
            )
            for column in table.value_columns
        ]
    if table.key in MONTHLY and table.total is not None:
        title, unit = (f() for f in MONTHLY[table.key])
        months = [c for c in table.value_columns if c.key != "total"]
        charts = _upright_and_sideways(
            f"{table.key}-months",
            title,
            [(c.label, table.total.values.get(c.key)) for c in months],
            value_label=unit,
            category_label=gettext("month"),
        )
        if table.key == "consultations_by_venue_month":
            charts.append(
                horizontal_bar_chart(
                    f"{table.key}-venues",
                    gettext("Consultations, per venue"),
                    sorted(
                        ((row.label, row.values.get("total")) for row in table.rows),
                        key=lambda item: -(item[1] or 0),
                    ),
                    value_label=unit,
                )
            )
        return charts
    if table.chart == "bars":
        column = table.value_columns[0]
        items = [(row.label, row.values.get(column.key)) for row in table.rows]
        if table.key in VERTICAL:
            return _upright_and_sideways(
                table.key,
                table.title,
                items,
                value_label=column.label,
                category_label=table.columns[0].label,
            )
        return [horizontal_bar_chart(table.key, table.title, items, value_label=column.label)]
    return []
