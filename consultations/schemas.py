from typing import Literal

from ninja import Field, Schema

from config.inputs import Id

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
