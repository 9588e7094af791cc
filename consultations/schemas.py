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
