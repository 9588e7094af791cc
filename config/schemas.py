"""Pieces the apps' API schemas share."""

from datetime import datetime
from typing import Annotated

from django.utils import timezone
from pydantic import AfterValidator

# A moment as the API gives it out: in Japan time (+09:00), whatever zone the database handed
# it over in (UTC on PostgreSQL). `LocalDateTime | None` leaves a missing moment null.
LocalDateTime = Annotated[datetime, AfterValidator(timezone.localtime)]
