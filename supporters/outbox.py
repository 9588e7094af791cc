"""What the outbox (notifications, which knows numbers, not people) learns from supporters:
whose number it is, that a supporter turned texts off, and what STOP and START change.

Connected in `SupportersConfig.ready()`.
"""

from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Concat
from django.utils import timezone

from supporters.models import Supporter


def supporters_who_turned_texts_off(phones: set[str]) -> set[str]:
    """The recipient filter: numbers of supporters with texts turned off (`sms_opt_in`)."""
    return set(
        Supporter.objects.filter(user__phone__in=phones, sms_opt_in=False).values_list(
            "user__phone", flat=True
        )
    )


def supporter_name_by_phone(field: str) -> Subquery:
    """The name of the supporter whose account has the number in `field`, else None."""
    return Subquery(
        Supporter.objects.filter(user__phone=OuterRef(field))
        .annotate(
            full_name=Concat("family_name", Value(" "), "given_name", output_field=CharField())
        )
        .values("full_name")[:1]
    )


def turn_texts_off(sender, *, phone: str, **kwargs) -> None:
    """STOP (or an opt-out made in the admin, or by the carrier) turns the supporter's texts off."""
    Supporter.objects.filter(user__phone=phone, sms_opt_in=True).update(
        sms_opt_in=False, updated_at=timezone.now()
    )


def turn_texts_on(sender, *, phone: str, **kwargs) -> None:
    """START (or an opt-out removed in the admin) turns them on again."""
    Supporter.objects.filter(user__phone=phone, sms_opt_in=False).update(
        sms_opt_in=True, updated_at=timezone.now()
    )
