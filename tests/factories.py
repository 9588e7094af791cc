"""Plain factories: each makes one valid object with sensible defaults, overridable by keyword."""

import itertools
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import time_machine
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from consultations.models import Consultation, Device, SessionReport, Topic
from sessions.models import ClassRegistration, DispatchRequest, Session, Shift
from supporters.models import COORDINATORS_GROUP, Supporter, User
from venues.models import Closure, District, HelpdeskSchedule, Venue

_seq = itertools.count(1)


def _next() -> int:
    return next(_seq)


def phone_number() -> str:
    """A distinct, valid Japanese mobile number in E.164."""
    return f"+8190{12_000_000 + _next()}"


def district(**kwargs) -> District:
    # Districts come from a data migration; transactional tests flush them, so create on demand.
    code = kwargs.pop("code", "honcho")
    defaults = {"name": kwargs.pop("name", f"district-{code}"), **kwargs}
    return District.objects.get_or_create(code=code, defaults=defaults)[0]


def topic(code="line", **kwargs) -> Topic:
    return Topic.objects.get_or_create(code=code, defaults={"name": code, **kwargs})[0]


def user(**kwargs) -> User:
    n = _next()
    password = kwargs.pop("password", "correct horse battery staple")
    fields = {"username": f"user{n}", **kwargs}
    made = User(**fields)
    made.set_password(password)
    made.save()
    return made


def coordinator(**kwargs) -> User:
    # City staff run the programme from the admin too, so they are staff users.
    fields = {"username": f"coordinator{_next()}", "first_name": "Kei", "is_staff": True}
    made = user(**{**fields, **kwargs})
    made.groups.add(Group.objects.get_or_create(name=COORDINATORS_GROUP)[0])
    return made


def supporter(user_kwargs=None, **kwargs) -> Supporter:
    account = (
        kwargs.pop("user")
        if "user" in kwargs
        else user(**{"phone": phone_number(), "phone_verified": True, **(user_kwargs or {})})
    )
    fields = {
        "family_name": "前橋",
        "given_name": f"花子{_next()}",
        "family_name_kana": "まえばし",
        "given_name_kana": "はなこ",
        "training_level": 3,
        "joined_on": date(2024, 4, 1),
        "insurance_valid_until": date(2099, 3, 31),
        "district": kwargs.pop("district", None) or district(),
        **kwargs,
    }
    return Supporter.objects.create(user=account, **fields)


def venue(**kwargs) -> Venue:
    n = _next()
    fields = {
        "name": f"テスト公民館{n}",
        "name_kana": f"てすとこうみんかん{n}",
        "address": "前橋市大手町2-12-1",
        "district": kwargs.pop("district", None) or district(),
        "is_helpdesk": True,
        **kwargs,
    }
    return Venue.objects.create(**fields)


def schedule(**kwargs) -> HelpdeskSchedule:
    fields = {
        "venue": kwargs.pop("venue", None) or venue(),
        "weekday": HelpdeskSchedule.Weekday.TUESDAY,
        "weeks_of_month": "2,4",
        "start_time": datetime.strptime("10:00", "%H:%M").time(),
        "end_time": datetime.strptime("12:00", "%H:%M").time(),
        "supporters_needed": 2,
        "valid_from": date(2024, 4, 1),
        **kwargs,
    }
    return HelpdeskSchedule.objects.create(**fields)


def closure(**kwargs) -> Closure:
    starts_on = kwargs.pop("starts_on", date(2026, 10, 6))
    fields = {"starts_on": starts_on, "ends_on": starts_on, "reason": "館内点検", **kwargs}
    return Closure.objects.create(**fields)


def session(**kwargs) -> Session:
    starts_at = kwargs.pop("starts_at", None) or timezone.now() + timedelta(days=7)
    kind = kwargs.pop("kind", Session.Kind.HELPDESK)
    fields = {
        "kind": kind,
        "starts_at": starts_at,
        "ends_at": kwargs.pop("ends_at", None) or starts_at + timedelta(hours=2),
        "supporters_needed": 2,
        **kwargs,
    }
    if "venue" not in fields and not fields.get("address"):
        fields["venue"] = venue()
    if kind == Session.Kind.CLASS:
        fields.setdefault("capacity", 10)
        fields.setdefault("title", "LINE入門")
    return Session.objects.create(**fields)


def shift(**kwargs) -> Shift:
    fields = {
        "session": kwargs.pop("session", None) or session(),
        "supporter": kwargs.pop("supporter", None) or supporter(),
        **kwargs,
    }
    return Shift.objects.create(**fields)


def dispatch_request(**kwargs) -> DispatchRequest:
    fields = {
        "group_name": "大手町サロン",
        "representative_name": "群馬 太郎",
        "representative_phone": phone_number(),
        "residents_count": 5,
        "preferred_date_1": timezone.localdate() + timedelta(days=21),
        "place_name": "大手町自治会館",
        "address": "前橋市大手町1-1-1",
        **kwargs,
    }
    return DispatchRequest.objects.create(**fields)


def scheduled_visit(*, starts_at=None, supporters_needed: int = 2, **kwargs) -> DispatchRequest:
    """A group-visit request scheduled through the service: its dispatch session made for it."""
    from sessions.services import schedule_request

    request = dispatch_request(**kwargs)
    starts_at = starts_at or timezone.now() + timedelta(days=21)
    return schedule_request(
        request,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        supporters_needed=supporters_needed,
        by=None,
    )


def class_registration(**kwargs) -> ClassRegistration:
    fields = {
        "session": kwargs.pop("session", None) or session(kind=Session.Kind.CLASS),
        "name": "赤城 花子",
        "phone": phone_number(),
        **kwargs,
    }
    return ClassRegistration.objects.create(**fields)


@dataclass(frozen=True)
class Resident:
    """A resident of Maebashi: no account, only the name and phone they give on a form."""

    name: str
    phone: str

    def registers_for(self, a_class: Session, **kwargs) -> ClassRegistration:
        return class_registration(session=a_class, name=self.name, phone=self.phone, **kwargs)

    def requests_a_visit(self, **kwargs) -> DispatchRequest:
        return dispatch_request(
            representative_name=self.name, representative_phone=self.phone, **kwargs
        )


def resident(**kwargs) -> Resident:
    return Resident(**{"name": "赤城 花子", "phone": phone_number(), **kwargs})


def consultation(**kwargs) -> Consultation:
    fields = {
        "session": kwargs.pop("session", None) or session(status=Session.Status.HELD),
        "topic": kwargs.pop("topic", None) or topic(),
        "device": Device.IPHONE,
        **kwargs,
    }
    return Consultation.objects.create(**fields)


def session_report(**kwargs) -> SessionReport:
    fields = {
        "session": kwargs.pop("session", None)
        or session(kind=Session.Kind.DISPATCH, status=Session.Status.HELD),
        "participants": 9,
        **kwargs,
    }
    return SessionReport.objects.create(**fields)


def invitation(**kwargs):
    """An open invitation; `.key` holds its link's secret (the database keeps only the hash)."""
    from supporters.models import Invitation

    key = kwargs.pop("key", None) or Invitation.generate_key()
    fields = {
        "family_name": "赤城",
        "given_name": f"次郎{_next()}",
        "phone": phone_number(),
        "training_level": 2,
        "expires_at": timezone.now() + timedelta(days=14),
        **kwargs,
    }
    made = Invitation.objects.create(key_hash=Invitation.hash_key(key), **fields)
    made.key = key
    return made


def skill(code="line", **kwargs):
    from supporters.models import Skill

    return Skill.objects.get_or_create(code=code, defaults={"name": code, **kwargs})[0]


def outbound_message(**kwargs):
    """A text in the outbox as the sender left it; `created_at` may be given (auto_now_add)."""
    from notifications.models import OutboundMessage

    created_at = kwargs.pop("created_at", None)
    fields = {
        "to": phone_number(),
        "body": "明日10:00 東公民館 参加は1、取消は2を返信",
        "purpose": OutboundMessage.Purpose.REMINDER,
        "idempotency_key": f"test:outbound:{_next()}",
        **kwargs,
    }
    message = OutboundMessage.objects.create(**fields)
    if created_at is not None:
        OutboundMessage.objects.filter(pk=message.pk).update(created_at=created_at)
        message.created_at = created_at
    return message


def inbound_message(**kwargs):
    from notifications.models import InboundMessage

    fields = {
        "from_number": phone_number(),
        "body": "駐車場はありますか",
        "provider_id": f"SM{_next():032d}",
        **kwargs,
    }
    return InboundMessage.objects.create(**fields)


@contextmanager
def made_once(django_db_blocker, command: str, *, now, debug: bool, stdout=None):
    """What `command` makes (seed_demo, bench_setup), once for a test module, at `now`, rolled
    back after the module's tests (a module-scoped fixture yields inside it)."""
    with (
        django_db_blocker.unblock(),
        time_machine.travel(now, tick=False),
        override_settings(DEBUG=debug),
        transaction.atomic(),
    ):
        call_command(command, stdout=stdout)
        yield
        transaction.set_rollback(True)


def started_today(minutes: int = 20) -> datetime:
    """A start `minutes` ago, but never before today's midnight in Tokyo: a supporter records a
    session's tally on its own day only, and a browser test against the live server cannot
    freeze the clock (run just after midnight, "20 minutes ago" was yesterday)."""
    now = timezone.localtime()
    return max(now - timedelta(minutes=minutes), now.replace(hour=0, minute=0, second=0))
