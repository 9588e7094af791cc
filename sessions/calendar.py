"""iCalendar for supporters (issue 5): their personal feed of shifts and one session's event.

Both are built here so a shift looks the same in the subscribed feed and in a downloaded file:
same UID (`shift-<id>@<host>`), same SEQUENCE (`Shift.sequence`, bumped by the services that
change a shift or move its session), times in Asia/Tokyo with its VTIMEZONE.
"""

from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, pgettext
from icalendar import Calendar, Event, vDuration

from config.fiscal import TOKYO
from sessions.models import Session, Shift

PRODID = "-//Maebashi Digital Supporters//digisapo//JA"
# How often calendar apps should fetch the feed again (most apps take their own pace anyway).
REFRESH_EVERY = timedelta(hours=1)


def site_url(request) -> str:
    """The site's address for links and UIDs: the public URL when set (behind a proxy, and the
    same UIDs whichever host name a request used), else the request's own."""
    return settings.PUBLIC_URL or request.build_absolute_uri("/").rstrip("/")


def feed_urls(base_url: str, token: str) -> dict[str, str]:
    """The feed's address for calendar apps (`webcal://`, which subscribes) and for the web."""
    web_url = base_url + reverse("supporters:calendar_feed", args=[token])
    return {"webcal_url": "webcal://" + web_url.split("://", 1)[1], "https_url": web_url}


def supporter_feed(supporter, shifts, *, base_url: str, now=None) -> bytes:
    """The supporter's feed: one VEVENT per shift of `shifts` (`Shift.objects.in_calendar_feed`),
    in the supporter's language."""
    now = now or timezone.now()
    with translation.override(supporter.user.language):
        calendar = new_calendar(
            name=gettext("My digital-supporter shifts"),
            uid=f"shifts-{supporter.pk}@{host_of(base_url)}",
        )
        calendar.add("refresh-interval", REFRESH_EVERY, parameters={"VALUE": "DURATION"})
        # Outlook's and Google's name for it; an X- property is text, so written out here.
        calendar.add("x-published-ttl", vDuration(REFRESH_EVERY).to_ical().decode())
        for shift in shifts:
            calendar.add_component(shift_event(shift, base_url=base_url, now=now))
        calendar.add_missing_timezones()
    return calendar.to_ical()


def session_file(session, shift=None, *, base_url: str, now=None) -> bytes:
    """One session as a downloadable .ics: the supporter's shift event when they have one on it,
    so importing it after subscribing to the feed updates the same event, else the session's."""
    now = now or timezone.now()
    calendar = new_calendar(
        name=session_summary(session), uid=f"session-file-{session.pk}@{host_of(base_url)}"
    )
    if shift is not None:
        calendar.add_component(shift_event(shift, base_url=base_url, now=now))
    else:
        calendar.add_component(session_event(session, base_url=base_url, now=now))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def with_calendar_sequence(sessions):
    """Annotate `calendar_sequence`: a session's revision is its most-bumped shift's."""
    return sessions.annotate(calendar_sequence=Max("shifts__sequence", default=0))


def new_calendar(*, name: str, uid: str) -> Calendar:
    calendar = Calendar.new(prodid=PRODID, name=name, uid=uid, method="PUBLISH")
    calendar.add("x-wr-timezone", str(TOKYO))
    return calendar


def shift_event(shift: Shift, *, base_url: str, now) -> Event:
    session = shift.session
    cancelled = shift.status == Shift.Status.CANCELLED or session.is_cancelled
    lines = [gettext("Your role: %(role)s") % {"role": shift.get_role_display()}]
    if shift.status == Shift.Status.OFFERED and not cancelled:
        lines.append(gettext("A place is offered to you: take it on the shift board."))
    event = base_event(
        session,
        uid=f"shift-{shift.pk}@{host_of(base_url)}",
        sequence=shift.sequence,
        status="CANCELLED" if cancelled else tentative_or_confirmed(shift),
        lines=lines,
        link=f"{base_url}{reverse('helpdesk_sessions:my_shifts')}#shift-{shift.pk}",
        now=now,
    )
    event.add("last-modified", max(shift.updated_at, session.updated_at))
    return event


def session_event(session: Session, *, base_url: str, now) -> Event:
    event = base_event(
        session,
        uid=f"session-{session.pk}@{host_of(base_url)}",
        sequence=getattr(session, "calendar_sequence", 0),
        status="CANCELLED" if session.is_cancelled else "CONFIRMED",
        lines=[],
        link=base_url + reverse("helpdesk_sessions:board"),
        now=now,
    )
    event.add("last-modified", session.updated_at)
    return event


def tentative_or_confirmed(shift: Shift) -> str:
    # An offered place is the supporter's only once they take it.
    return "TENTATIVE" if shift.status == Shift.Status.OFFERED else "CONFIRMED"


def base_event(session, *, uid, sequence, status, lines, link, now) -> Event:
    """The event every shift and session shares: when, where, what, and a link back (My shifts
    for a shift, the shift board for a session)."""
    summary = session_summary(session)
    if status == "CANCELLED":
        # Some calendar apps ignore STATUS in subscribed feeds: the title says it too.
        summary = gettext("Cancelled: %(summary)s") % {"summary": summary}
        if session.cancellation_reason:
            lines.append(gettext("Reason: %(reason)s") % {"reason": session.cancellation_reason})
    venue = session.venue if session.venue_id else None
    if venue and venue.access_notes:
        lines.append(gettext("Access: %(notes)s") % {"notes": venue.access_notes})
    lines.append(gettext("Details: %(url)s") % {"url": link})
    event = Event.new(
        uid=uid,
        start=timezone.localtime(session.starts_at, TOKYO),
        end=timezone.localtime(session.ends_at, TOKYO),
        stamp=now,
        summary=summary,
        location=session_location(session),
        description="\n".join(lines),
        sequence=sequence,
        status=status,
        url=link,
    )
    event.add("categories", [session.get_kind_display()])
    if venue and venue.latitude is not None and venue.longitude is not None:
        event.add("geo", (float(venue.latitude), float(venue.longitude)))
    return event


def session_summary(session: Session) -> str:
    if session.title:
        return pgettext("calendar event title", "%(kind)s “%(title)s” at %(place)s") % {
            "kind": session.get_kind_display(),
            "title": session.title,
            "place": session.place_label,
        }
    return pgettext("calendar event title", "%(kind)s at %(place)s") % {
        "kind": session.get_kind_display(),
        "place": session.place_label,
    }


def session_location(session: Session) -> str:
    if session.venue_id:
        return f"{session.venue.name}, {session.venue.address}"
    return ", ".join(part for part in (session.place_name, session.address) if part)


def host_of(base_url: str) -> str:
    return urlsplit(base_url).hostname or "localhost"
