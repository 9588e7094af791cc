"""Who a coordinator might check in on (issue 13): repeated misses, a long time without a
shift, cancellations mostly late. A view for kindness, never a block: nothing here stops anyone
signing up."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, DateTimeField, ExpressionWrapper, F, Max, Q
from django.utils import timezone

from sessions.models.sessions import Shift, took_place
from supporters.models import Supporter

LOOKBACK = timedelta(days=90)
MISSES = 2  # no-shows in LOOKBACK
QUIET_FOR = timedelta(days=182)  # about six months without a served shift
LATE_CANCELLATIONS_FROM = 2  # at least this many cancellations in LOOKBACK, more than half late


@dataclass(frozen=True)
class Reliability:
    missed: list
    quiet: list
    late_cancelling: list


def reliability(now=None) -> Reliability:
    """The three lists, in one query whatever the number of supporters: each supporter
    annotated with their misses, cancellations, late cancellations and last served shift."""
    now = now or timezone.now()
    since = now - LOOKBACK
    late = timedelta(hours=settings.SHIFT_LATE_CANCEL_HOURS)
    cancelled = Q(
        shifts__status=Shift.Status.CANCELLED,
        shifts__cancelled_at__gte=since,
    )
    served = Q(
        took_place("shifts__session__", now=now),
        shifts__status__in=[Shift.Status.ATTENDED, Shift.Status.SIGNED_UP],
    )
    supporters = list(
        Supporter.objects.select_related("user")
        .annotate(
            misses=Count(
                "shifts",
                filter=Q(
                    shifts__status=Shift.Status.NO_SHOW,
                    shifts__session__starts_at__gte=since,
                    shifts__session__starts_at__lte=now,
                ),
                distinct=True,
            ),
            cancellations=Count("shifts", filter=cancelled, distinct=True),
            late_cancellations=Count(
                "shifts",
                filter=cancelled
                & Q(
                    shifts__cancelled_at__gt=ExpressionWrapper(
                        F("shifts__session__starts_at") - late, output_field=DateTimeField()
                    )
                ),
                distinct=True,
            ),
            last_served=Max("shifts__session__starts_at", filter=served),
        )
        .order_by("family_name_kana", "family_name", "given_name", "pk")
    )
    quiet_since = now - QUIET_FOR
    return Reliability(
        missed=[s for s in supporters if s.misses >= MISSES],
        quiet=[
            s
            for s in supporters
            if s.status == Supporter.Status.ACTIVE
            and (s.last_served is None or s.last_served < quiet_since)
        ],
        late_cancelling=[
            s
            for s in supporters
            if s.cancellations >= LATE_CANCELLATIONS_FROM
            and s.late_cancellations * 2 > s.cancellations
        ],
    )
