"""Consultations' business rules: visits' reports, and the figures coordinators report to the
council."""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta
from functools import cache, partial

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.errors import ServiceError
from config.fiscal import FiscalYear
from config.fragments import kept_value
from consultations.models import (
    AgeBand,
    Consultation,
    ConsultationChange,
    Device,
    Feedback,
    SessionReport,
    TallyConfirmation,
    Topic,
)
from consultations.statistics.figures import headline_by_year
from sessions.models import DispatchRequest, Session, Shift
from sessions.services import complete_request, mark_attendance, mark_held
from sessions.services.requests import lock_request
from sessions.services.rules import is_lead_of, lock_session


@dataclass(frozen=True)
class AnnualFigures:
    """The city's headline table for one fiscal year, as the annual report counts it
    (consultations/statistics/figures.py holds the definitions)."""

    fiscal_year: FiscalYear
    helpdesk_sessions_held: int  # 開催回数
    consultations: int  # 相談受付件数
    dispatches_held: int  # 出張件数
    dispatch_participants: int  # 講習参加人数
    active_supporters: int  # サポーター数, on the year's last day (today, for the current year)
    classes_held: int
    class_participants: int  # attendances (延べ)
    class_distinct_participants: int = 0  # 実人員
    serving_supporters: int = 0


def annual_figures(fiscal_year: FiscalYear) -> AnnualFigures:
    """The headline figures of `fiscal_year`, the same as the annual report's."""
    counted = headline_by_year(fiscal_year, fiscal_year, timezone.localdate())
    figures = counted[fiscal_year.start_year]
    return AnnualFigures(
        fiscal_year=fiscal_year,
        helpdesk_sessions_held=figures["help_desk_sessions"],
        consultations=figures["consultations"],
        dispatches_held=figures["dispatches"],
        dispatch_participants=figures["dispatch_participants"],
        active_supporters=figures["active_supporters"],
        classes_held=figures["classes"],
        class_participants=figures["class_participants"],
        class_distinct_participants=figures["class_distinct_participants"],
        serving_supporters=figures["serving_supporters"],
    )


class ReportError(ServiceError):
    """A visit report the rules refuse. `code`: forbidden, not_scheduled, not_over, invalid."""

    MESSAGES = {
        "forbidden": _("Only a coordinator or the visit's lead supporter can file its report."),
        "not_scheduled": _("Only a scheduled visit can have a report."),
        "not_over": _("The report can be filed once the visit has started."),
        "invalid": _("Check the report: the number of residents must be between 0 and 500."),
    }


def may_report(user, request) -> bool:
    """Coordinators, and the supporter leading the visit, file its report."""
    if not getattr(user, "is_authenticated", False) or request.session_id is None:
        return False
    return user.is_coordinator or is_lead_of(user, request.session)


def file_visit_report(
    request,
    *,
    participants: int,
    topics=(),
    devices=(),
    notes: str = "",
    attended=(),
    by,
) -> SessionReport:
    """After a group visit: how many residents came, what was covered, which supporters came.
    The session becomes held, the request done, and the annual figures count it (出張件数,
    講習参加人数). Filing again corrects the report. `attended`: supporter ids of the team who
    came; the others on the team are marked as not having come."""
    if not may_report(by, request):
        raise ReportError("forbidden")
    if not 0 <= participants <= 500:
        raise ReportError("invalid")
    if any(device not in DispatchRequest.Device.values for device in devices):
        raise ReportError("invalid", _("Choose the devices from the list."))
    attended = {int(pk) for pk in attended}
    with transaction.atomic():
        session = lock_session(request.session_id)
        request = lock_request(request)
        if request.status not in (DispatchRequest.Status.SCHEDULED, DispatchRequest.Status.DONE):
            raise ReportError("not_scheduled")
        if session.is_cancelled:
            raise ReportError("not_scheduled")
        if not session.has_started:
            raise ReportError("not_over")
        report, _created = SessionReport.objects.update_or_create(
            session=session,
            defaults={
                "participants": participants,
                "notes": notes.strip(),
                "devices": sorted(set(devices)),
                "recorded_by": by,
            },
        )
        report.topics.set(topics)
        team = Shift.objects.filter(session=session, status__in=Shift.TEAM_STATUSES)
        for shift in team.select_related("session"):
            status = (
                Shift.Status.ATTENDED if shift.supporter_id in attended else Shift.Status.NO_SHOW
            )
            mark_attendance(shift, status, by=by)
        mark_held(session, by=by)
        complete_request(request, by=by)
    return report


# The consultation tally (issue 11): what residents asked, recorded during a session -------------

# Entries are taken from when check-in opens to the end of the session's day (supporters often
# catch up once the last resident has gone); coordinators correct records at any time after.
TALLY_OPENS_BEFORE = timedelta(minutes=30)


class TallyError(ServiceError):
    """A tally entry the rules refuse. `code`: forbidden, session_cancelled, too_early, closed,
    invalid."""

    MESSAGES = {
        "forbidden": _("Only the supporters on this session and coordinators record its tally."),
        "session_cancelled": _("This session has been cancelled."),
        "too_early": _("The tally opens 30 minutes before the session starts."),
        "closed": _("The tally of this session is closed: a coordinator can still correct it."),
        "invalid": _("Choose a topic, a device, an age band and a language from the lists."),
    }


def may_tally(user, session) -> bool:
    """Coordinators, and the supporters on the session's team: who sees its roster."""
    return session.roster_visible_to(user)


def tally_session(session_id):
    """The session as the tally's rules read it (its start, its status, its team), or None:
    kept per public content version and minute (sessions and shifts are public content, so a
    session called off or a supporter leaving its team replaces the version), no query after
    the first in a version. For the record call, which a supporter's phone makes every tap."""
    return kept_value("tally-session", int(session_id), partial(_tally_session, session_id))


def _tally_session(session_id):
    session = Session.objects.only("pk", "kind", "starts_at", "status").filter(pk=session_id)
    session = session.first()
    if session is not None:
        shifts = Shift.objects.active().filter(session_id=session.pk)
        # What `Session.team` reads: who, the status (on the team or not) and the role.
        session.active_shifts = list(
            shifts.only("pk", "session_id", "supporter_id", "role", "status")
        )
    return session


def tally_topic(topic_id):
    """The topic with this id, or None, kept per public content version (topics are public
    content): the record call checks it with `record_consultation` without a query."""
    return kept_value("tally-topic", int(topic_id), partial(_topic, topic_id))


def _topic(topic_id):
    return Topic.objects.filter(pk=topic_id).first()


def _check_tally_open(session, by) -> None:
    if not may_tally(by, session):
        raise TallyError("forbidden")
    if session.is_cancelled:
        raise TallyError("session_cancelled")
    now = timezone.now()
    if now < session.starts_at - TALLY_OPENS_BEFORE:
        raise TallyError("too_early")
    last_day = timezone.localdate(session.starts_at)
    if timezone.localdate(now) > last_day and not by.is_coordinator:
        raise TallyError("closed")


def record_consultation(session, **entry) -> tuple[Consultation, bool]:
    """One resident's question at `session`, as statistics (never a name); `entry` as
    `record_counted` takes it. `key`: the phone's key for this tap; the same key again (a double
    tap, a resend) is the same entry, `created` False. Two supporters recording at once both
    count: each entry is its own row."""
    consultation, created, _count = record_counted(session, **entry)
    return consultation, created


def record_counted(
    session,
    *,
    by,
    topic,
    device: str,
    age_band: str = AgeBand.UNKNOWN,
    language: str = "ja",
    resolved: bool = True,
    minutes: int = 15,
    key=None,
) -> tuple[Consultation, bool, int]:
    """`record_consultation`, with how many of the session's entries count now (the answer to a
    tap): on PostgreSQL the insert and the count are one statement."""
    _check_tally_open(session, by)
    languages = {code for code, _name in settings.LANGUAGES}
    if (
        topic is None
        or not topic.is_active
        or device not in Device.values
        or age_band not in AgeBand.values
        or language not in languages
        or not 1 <= minutes <= 240
    ):
        raise TallyError("invalid")
    consultation = Consultation(
        session=session,
        topic=topic,
        device=device,
        age_band=age_band,
        language=language,
        is_resolved=resolved,
        minutes=minutes,
        recorded_by=by,
        entry_key=key,
    )
    # One statement, no transaction of its own: the insert, unless the key is already taken
    # (the unique `consultation_entry_once`). A resend racing its tap waits in the database for
    # the tap's insert to commit (or roll back), then does nothing; the entry is then read in a
    # statement of its own, which sees it.
    counted_with_it = connection.vendor == "postgresql"
    values = _inserted_values(consultation) + ([session.pk] if counted_with_it else [])
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(counted_with_it), values)
        row = cursor.fetchone()
    if row is None:
        existing = _entry_with(key) if key is not None else None
        if existing is None:
            raise IntegrityError("The consultation was not recorded.")
        return *_same_entry(existing, session), tally_count(session)
    consultation.pk = row[0]
    consultation._state.adding, consultation._state.db = False, connection.alias
    return consultation, True, row[1] if counted_with_it else tally_count(session)


# The columns the record call writes: its SQL is written once per process (Django's ORM built
# and compiled the insert on every tap, most of the call's CPU; docs/performance.md, issue 11).
_INSERTED = (
    "session",
    "topic",
    "device",
    "age_band",
    "language",
    "is_resolved",
    "minutes",
    "recorded_by",
    "recorded_at",
    "entry_key",
)


@cache
def _insert_sql(counted: bool) -> str:
    """The insert; `counted`: in a statement that also counts the session's entries (on
    PostgreSQL; the count's snapshot is the statement's, taken before the insert: +1)."""
    meta, quote = Consultation._meta, connection.ops.quote_name
    columns = ", ".join(quote(meta.get_field(name).column) for name in _INSERTED)
    key, pk = quote(meta.get_field("entry_key").column), quote(meta.pk.column)
    insert = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) "
        f"VALUES ({', '.join(['%s'] * len(_INSERTED))}) "
        f"ON CONFLICT ({key}) WHERE {key} IS NOT NULL DO NOTHING "
        f"RETURNING {pk}"
    )
    if not counted:
        return insert
    return f"WITH new AS ({insert}) SELECT {pk}, ({_count_sql()}) + 1 FROM new"


def _inserted_values(consultation) -> list:
    fields = [Consultation._meta.get_field(name) for name in _INSERTED]
    return [
        field.get_db_prep_save(field.pre_save(consultation, True), connection) for field in fields
    ]


def tally_count(session) -> int:
    """How many of the session's entries count (not undone) now: one query, its SQL written once
    per process (the answer to every tap)."""
    with connection.cursor() as cursor:
        cursor.execute(_count_sql(), [session.pk])
        return cursor.fetchone()[0]


@cache
def _count_sql() -> str:
    meta, quote = Consultation._meta, connection.ops.quote_name
    return (
        f"SELECT COUNT(*) FROM {quote(meta.db_table)} "
        f"WHERE {quote(meta.get_field('session').column)} = %s "
        f"AND {quote(meta.get_field('undone_at').column)} IS NULL"
    )


def _entry_with(key):
    return Consultation.objects.filter(entry_key=key).first()


def _same_entry(existing, session):
    if existing.session_id != session.pk:
        raise TallyError("invalid", _("This entry key was used for another session."))
    return existing, False


def undo_consultation(consultation, *, by) -> Consultation:
    """Take an entry back (the tally's undo, a coordinator's correction): it stays, marked
    undone with who and when, and the figures leave it out. Undoing again changes nothing."""
    _check_tally_open(consultation.session, by)
    with transaction.atomic():
        consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
        if consultation.undone_at is None:
            consultation.undone_at, consultation.undone_by = timezone.now(), by
            consultation.save(update_fields=["undone_at", "undone_by"])
    return consultation


def may_confirm_tally(user, session) -> bool:
    """The session's lead, or a coordinator."""
    return getattr(user, "is_authenticated", False) and (
        user.is_coordinator or is_lead_of(user, session)
    )


def confirm_tally(session, *, by) -> TallyConfirmation:
    """After the session, its lead (or a coordinator) confirms the count: the session is held
    (`mark_held`, the one way), and who confirmed what count, when, is kept; confirming again
    after a correction updates it."""
    if not (
        getattr(by, "is_authenticated", False) and (by.is_coordinator or is_lead_of(by, session))
    ):
        raise TallyError("forbidden", _("The session's lead or a coordinator confirms its tally."))
    with transaction.atomic():
        session = lock_session(session.pk)
        if session.is_cancelled:
            raise TallyError("session_cancelled")
        if not session.has_started:
            raise TallyError("too_early", _("The tally is confirmed once the session has started."))
        mark_held(session, by=by)
        count = Consultation.objects.counted().filter(session=session).count()
        confirmation, _created = TallyConfirmation.objects.update_or_create(
            session=session,
            defaults={"count": count, "confirmed_by": by, "confirmed_at": timezone.now()},
        )
    return confirmation


# Coordinators correct a session's records later (issue 11): every change keeps who and when --

# What a correction may change, with how each is checked (the topic is kept by id in the history).
CORRECTABLE = ("topic", "device", "age_band", "language", "is_resolved", "minutes")


def may_correct(user) -> bool:
    """Coordinators correct a session's records, at any time after."""
    return getattr(user, "is_authenticated", False) and user.is_coordinator


CORRECTION_FORBIDDEN = _("Only a coordinator corrects a session's records.")


def _check_may_correct(by) -> None:
    if not may_correct(by):
        raise TallyError("forbidden", CORRECTION_FORBIDDEN)


def _locked(consultation) -> Consultation:
    """The session's row first (the lock order), then the consultation's."""
    lock_session(consultation.session_id)
    return Consultation.objects.select_for_update().get(pk=consultation.pk)


def _check_correction(consultation, changes: dict) -> dict:
    """The changed fields, `{field: (old, new)}`, once each new value is one the lists offer."""
    unknown = set(changes) - set(CORRECTABLE)
    if unknown:
        raise TallyError(
            "invalid",
            _("These records cannot be changed: %(fields)s.")
            % {"fields": ", ".join(sorted(unknown))},
        )
    languages = {code for code, _name in settings.LANGUAGES}
    valid = {
        "topic": lambda topic: (
            isinstance(topic, Topic) and (topic.is_active or topic.pk == consultation.topic_id)
        ),
        "device": lambda value: value in Device.values,
        "age_band": lambda value: value in AgeBand.values,
        "language": lambda value: value in languages,
        "is_resolved": lambda value: isinstance(value, bool),
        "minutes": lambda value: isinstance(value, int) and 1 <= value <= 240,
    }
    if not all(valid[field](value) for field, value in changes.items()):
        raise TallyError("invalid")
    changed = {}
    for field, value in changes.items():
        old = consultation.topic_id if field == "topic" else getattr(consultation, field)
        new = value.pk if field == "topic" else value
        if old != new:
            changed[field] = (old, new)
    return changed


def correct_consultation(consultation, changes: dict, *, by) -> Consultation:
    """A coordinator changes a recorded consultation's choices (`changes`: field → new value,
    fields from CORRECTABLE, the topic a Topic). Unchanged values are left out; a change is kept
    with who and when and the old and new values. A confirmed session keeps its confirmation;
    its pages show it was corrected after (`corrected_after_confirmation`)."""
    _check_may_correct(by)
    with transaction.atomic():
        consultation = _locked(consultation)
        changed = _check_correction(consultation, changes)
        if not changed:
            return consultation
        for field, value in changes.items():
            if field in changed:
                setattr(consultation, field, value)
        consultation.save(update_fields=list(changed))
        ConsultationChange.objects.create(
            consultation=consultation,
            kind=ConsultationChange.Kind.EDITED,
            changes={field: {"old": old, "new": new} for field, (old, new) in changed.items()},
            changed_by=by,
        )
    return consultation


def remove_consultation(consultation, *, by) -> Consultation:
    """A coordinator takes a consultation out of the figures (it stays, marked undone, with who
    and when, as the tally's undo does), at any time. Removing again changes nothing."""
    _check_may_correct(by)
    with transaction.atomic():
        consultation = _locked(consultation)
        if consultation.undone_at is None:
            consultation.undone_at, consultation.undone_by = timezone.now(), by
            consultation.save(update_fields=["undone_at", "undone_by"])
            ConsultationChange.objects.create(
                consultation=consultation, kind=ConsultationChange.Kind.REMOVED, changed_by=by
            )
    return consultation


def restore_consultation(consultation, *, by) -> Consultation:
    """A coordinator counts an undone or removed consultation again; the history keeps who had
    undone it and when. Restoring a counted one changes nothing."""
    _check_may_correct(by)
    with transaction.atomic():
        consultation = _locked(consultation)
        if consultation.undone_at is not None:
            undone = {
                "undone_at": {"old": consultation.undone_at.isoformat(), "new": None},
                "undone_by": {"old": consultation.undone_by_id, "new": None},
            }
            consultation.undone_at = consultation.undone_by = None
            consultation.save(update_fields=["undone_at", "undone_by"])
            ConsultationChange.objects.create(
                consultation=consultation,
                kind=ConsultationChange.Kind.RESTORED,
                changes=undone,
                changed_by=by,
            )
    return consultation


def corrected_after_confirmation(session, confirmation) -> bool:
    """Whether the session's records changed after its tally was confirmed (an entry added,
    undone, corrected, removed or restored): one query. The confirmation stays as it was."""
    if confirmation is None:
        return False
    after = confirmation.confirmed_at
    return (
        Consultation.objects.filter(session=session)
        .filter(
            Q(recorded_at__gt=after) | Q(undone_at__gt=after) | Q(changes__changed_at__gt=after)
        )
        .exists()
    )


# Residents say how it went (issue 11): anonymous, one answer per device per session -----------

FEEDBACK_DAYS = 7  # answers are taken from the start until a week after


def device_key(device_id: str) -> str:
    """What is stored of a device's random cookie: a keyed hash, which names no one."""
    return hmac.new(
        settings.SECRET_KEY.encode(), f"feedback:{device_id}".encode(), hashlib.sha256
    ).hexdigest()


def give_feedback(session, answer: str, *, device_id: str, language: str = "ja"):
    """Keep a resident's answer; the same device answering again changes nothing. Returns
    (feedback, created)."""
    if answer not in Feedback.Answer.values or not device_id:
        raise TallyError("invalid", _("Choose one of the three answers."))
    now = timezone.now()
    if (
        session.is_cancelled
        or now < session.starts_at - TALLY_OPENS_BEFORE
        or now > session.ends_at + timedelta(days=FEEDBACK_DAYS)
    ):
        raise TallyError("closed", _("This session is not taking answers."))
    key = device_key(device_id)
    try:
        with transaction.atomic():
            return Feedback.objects.create(
                session=session, answer=answer, device=key, language=language
            ), True
    except IntegrityError:
        return Feedback.objects.get(session=session, device=key), False


def feedback_counts(session) -> dict:
    """How many residents gave each answer, in one query."""
    counts = dict(
        Feedback.objects.filter(session=session)
        .order_by()
        .values_list("answer")
        .annotate(n=Count("pk"))
    )
    return {answer: counts.get(answer, 0) for answer in Feedback.Answer.values}
