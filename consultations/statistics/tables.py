"""The shapes the annual report is made of: figures with their definitions, and tables whose
rows the page, the print, the exports and the API all render the same way."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    # "label" (the row's name), "count", "percent" (a fraction, 0.25 = 25 %), "hours", "number"
    kind: str = "count"


@dataclass
class Row:
    key: str  # stable across languages: a venue's id, a topic's code, "2024-04"
    label: str
    values: dict  # column key → number (or None where it does not apply)


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[Row]
    definition: str = ""
    total: Row | None = None
    chart: str = ""  # "bars", "stacked", "line" or "" (no chart)
    # Cells whose published value differs from the records now: (row key, column key) → now.
    corrected: dict = field(default_factory=dict)

    @property
    def value_columns(self) -> list[Column]:
        return [column for column in self.columns if column.kind != "label"]

    @property
    def all_rows(self) -> list[Row]:
        return [*self.rows, self.total] if self.total else list(self.rows)

    def cells(self, row: Row) -> list[tuple[Column, object, object]]:
        """(column, published or current value, the value now where it was corrected)."""
        return [
            (column, row.values.get(column.key), self.corrected.get((row.key, column.key)))
            for column in self.value_columns
        ]

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "title": str(self.title),
            "definition": str(self.definition),
            "columns": [
                {"key": c.key, "label": str(c.label), "kind": c.kind} for c in self.columns
            ],
            "rows": [_row_dict(row) for row in self.rows],
            "total": _row_dict(self.total) if self.total else None,
        }


def _row_dict(row: Row) -> dict:
    return {"key": row.key, "label": str(row.label), "values": dict(row.values)}


def share(part, whole) -> float | None:
    """part / whole as a fraction, None where there is nothing to divide."""
    return round(part / whole, 4) if whole else None
