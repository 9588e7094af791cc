from datetime import date
from typing import Literal
from uuid import UUID

from ninja import Field, Schema

from config.inputs import Id
from config.schemas import LocalDateTime

Device = Literal["iphone", "android", "rakuraku", "tablet", "none"]


class VisitReportIn(Schema):
    participants: int = Field(ge=0, le=500, description="Residents who came.")
    topics: list[Id] = Field(default_factory=list, description="Topic ids covered.")
    devices: list[Device] = Field(default_factory=list)
    notes: str = Field("", max_length=2000, description="No names, please.")
    attended: list[Id] = Field(
        default_factory=list, description="Supporter ids of the team who came."
    )


class VisitReportOut(Schema):
    request_id: int
    session_id: int
    participants: int
    topics: list[int]
    devices: list[str]
    notes: str


AgeBand = Literal["under_60", "under_20", "20s_30s", "40s_50s", "60s", "70s", "80_plus", "unknown"]
TallyDevice = Literal["iphone", "android", "rakuraku", "tablet", "pc", "other"]


class ConsultationIn(Schema):
    key: UUID | None = Field(
        None,
        description="The phone's key for this tap: sending it again (a double tap, a resend "
        "after a lost connection) records nothing more and answers the same entry.",
    )
    topic: Id
    device: TallyDevice
    age_band: AgeBand = "unknown"
    language: str = Field("ja", max_length=10)
    resolved: bool = True
    minutes: int = Field(15, ge=1, le=240)


class ConsultationOut(Schema):
    id: int
    key: UUID | None
    topic: int
    device: str
    age_band: str
    language: str
    resolved: bool
    minutes: int
    recorded_at: LocalDateTime
    undone: bool


class FeedbackCountsOut(Schema):
    """How many residents gave each answer: counts only, nothing that identifies anyone."""

    good: int = Field(description="It went well (よかった).")
    ok: int = Field(description="It was all right (ふつう).")
    lost: int = Field(description="They did not understand (わからなかった).")


class TallyOut(Schema):
    session_id: int
    count: int = Field(description="Consultations counted (undone ones left out).")
    consultations: list[ConsultationOut] = Field(description="Newest first, undone included.")
    feedback: FeedbackCountsOut = Field(description="Residents' anonymous answers, counted.")
    confirmed_count: int | None = Field(
        None, description="The count the lead confirmed, when the tally has been confirmed."
    )
    corrected_after_confirmation: bool = Field(
        False, description="The records changed after the tally was confirmed."
    )


class RecordedOut(Schema):
    """What a tap gets back, small for a phone on a slow line: the count and the entry."""

    session_id: int
    count: int = Field(description="Consultations counted now (undone ones left out).")
    consultation: ConsultationOut = Field(description="The entry this call recorded or undid.")


class CorrectionIn(Schema):
    """A coordinator's correction: only the fields sent change."""

    topic: Id | None = None
    device: TallyDevice | None = None
    age_band: AgeBand | None = None
    language: str | None = Field(None, max_length=10)
    resolved: bool | None = None
    minutes: int | None = Field(None, ge=1, le=240)


class ConsultationChangeOut(Schema):
    kind: Literal["edited", "removed", "restored"]
    changed_at: LocalDateTime
    changed_by: str | None = Field(description="The coordinator's name.")
    changes: dict = Field(
        description='What changed: `{field: {"old": ..., "new": ...}}` (the topic by id).'
    )


class ConsultationHistoryOut(Schema):
    consultation: ConsultationOut
    recorded_by: str | None
    undone_by: str | None
    changes: list[ConsultationChangeOut] = Field(description="Oldest first.")


# The annual activity report (issue 12) ---------------------------------------------------------

# The first fiscal year the API reports on, and the last the four digits allow: a year outside
# is a mistyped one (`20245`, `24`), refused before anything is counted.
FIRST_FISCAL_YEAR = 2000
LAST_FISCAL_YEAR = 2999


class AnnualReportQuery(Schema):
    fiscal_year: int | None = Field(
        None,
        ge=FIRST_FISCAL_YEAR,
        le=LAST_FISCAL_YEAR,
        description="The year the fiscal year starts in (2024 = FY2024, 令和6年度: April 2024 to "
        "March 2025); the current fiscal year by default. Not after the current one.",
    )


class AnnualCloseQuery(Schema):
    fiscal_year: int = Field(
        ge=FIRST_FISCAL_YEAR,
        le=LAST_FISCAL_YEAR,
        description="The year the fiscal year starts in (2024 = FY2024); it must have ended.",
    )


class AnnualExportQuery(AnnualReportQuery):
    format: Literal["xlsx", "csv"] = Field(
        "xlsx", description="`xlsx` (Excel, one sheet per table) or `csv` (UTF-8 with BOM)."
    )


Number = int | float


class HeadlineOut(Schema):
    """The city's own table: the keys never change, whatever the language."""

    help_desk_sessions: int = Field(description="Help-desk sessions held (開催回数).")
    consultations: int = Field(description="Consultations received (相談受付件数).")
    dispatches: int = Field(description="Group visits held (出張件数).")
    dispatch_participants: int = Field(description="Residents at group visits (講習参加人数).")
    active_supporters: int = Field(
        description="Supporters registered and active at the end of the year (サポーター数)."
    )
    serving_supporters: int = Field(description="Supporters who served at least once.")
    classes: int = Field(description="Smartphone classes held.")
    class_participants: int = Field(description="Class attendances (延べ).")
    class_distinct_participants: int = Field(description="Distinct class participants (実人員).")


class FigureOut(Schema):
    key: str = Field(description="One of the headline's keys.")
    label: str
    definition: str = Field(description="What the figure counts, in words.")
    value: int = Field(description="The published value once the year is closed.")
    previous: int | None = Field(description="The previous fiscal year's; null before the first.")
    change: int | None = Field(description="`value` less `previous`.")
    now: int | None = Field(
        description="The records' value today, where a correction since closing changed it."
    )


class ReportColumnOut(Schema):
    key: str
    label: str
    kind: Literal["label", "count", "percent", "hours", "number"] = Field(
        description="`label`: the row's name; `percent`: a fraction (0.25 = 25 %)."
    )


class ReportRowOut(Schema):
    key: str = Field(description="Stable across languages: a venue's id, a topic's code…")
    label: str
    values: dict[str, Number | None] = Field(
        description="Column key → number; null where it does not apply (a share of nothing)."
    )


class ReportTableOut(Schema):
    key: str = Field(description="Stable: `consultations_by_topic`, `trend`…")
    title: str
    definition: str
    columns: list[ReportColumnOut]
    rows: list[ReportRowOut]
    total: ReportRowOut | None


class ReportDifferenceOut(Schema):
    """A cell of a closed year whose records changed since it was published."""

    table: str = Field(description="The table's title.")
    row: str = Field(description="The row's label.")
    column: str = Field(description="The column's label.")
    published: Number | None
    now: Number | None


class AnnualReportOut(Schema):
    fiscal_year: int = Field(description="2024 for FY2024 (令和6年度).")
    label: str = Field(description="The fiscal year in words, e.g. 2024年度（令和6年度）.")
    as_of: date = Field(description="The last day counted: the year's end, or today.")
    year_to_date: bool = Field(description="The year is not over: figures so far.")
    closed: bool = Field(description="A coordinator closed the year: its figures are published.")
    closed_at: LocalDateTime | None
    headline: HeadlineOut
    figures: list[FigureOut] = Field(description="The headline with labels and definitions.")
    tables: list[ReportTableOut] = Field(description="The breakdowns, then the trend.")
    differences: list[ReportDifferenceOut] = Field(
        description="Corrections since the year was closed: published vs. now."
    )
