"""A session's summary (when, what, where) is one partial, and a status badge one template tag:
every page that shows them draws the same markup."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation

from config.templatetags.badges import TONES
from notifications.models import OutboundMessage
from sessions.models import DispatchRequest, Shift
from supporters.models import Invitation
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
BADGE = Template("{% load badges %}{% status_badge obj %}")


def badge(obj, language="en"):
    with translation.override(language):
        return BADGE.render(Context({"obj": obj}))


@pytest.mark.parametrize(
    ("obj", "html"),
    [
        (Shift(status="attended"), '<span class="badge badge--ok">Attended</span>'),
        (Shift(status="no_show"), '<span class="badge badge--muted">Did not come</span>'),
        (Shift(status="offered"), '<span class="badge badge--warning">Place offered</span>'),
        (Shift(status="signed_up"), '<span class="badge">Signed up</span>'),
        (OutboundMessage(status="failed"), '<span class="badge badge--warning">Failed</span>'),
        (OutboundMessage(status="delivered"), '<span class="badge badge--ok">Delivered</span>'),
    ],
)
def test_a_status_badge_has_the_tone_and_the_translated_label_of_the_status(obj, html):
    assert badge(obj) == html


def test_a_status_badge_speaks_the_readers_language():
    assert badge(Shift(status="attended"), "ja") == (
        f'<span class="badge badge--ok">{_label_in(Shift.Status.ATTENDED, "ja")}</span>'
    )


def _label_in(choice, language):
    with translation.override(language):
        return str(choice.label)


def test_an_invitation_badge_reads_its_state():
    accepted = Invitation(accepted_at=timezone.now(), expires_at=timezone.now())
    open_one = Invitation(expires_at=timezone.now() + timedelta(days=1))
    template = Template('{% load badges %}{% status_badge obj "state" %}')
    with translation.override("en"):
        assert template.render(Context({"obj": accepted})) == (
            '<span class="badge badge--ok">Accepted</span>'
        )
        assert 'badge--warning">Open' in template.render(Context({"obj": open_one}))


@pytest.mark.parametrize("model", [Shift, OutboundMessage, DispatchRequest])
def test_every_status_of_a_badged_model_renders_and_every_tone_is_a_status(model):
    statuses = set(model.Status.values)
    assert set(TONES[model._meta.label_lower]) <= statuses
    for status in statuses:
        assert badge(model(status=status)).startswith('<span class="badge')


def templates():
    for path in ROOT.glob("*/templates/**/*.html"):
        if "locale" not in path.parts:
            yield path


def test_no_template_copies_the_session_summary_or_a_status_badge():
    summary = re.compile(r"get_kind_display }}{% if [\w.]*title %}: ")
    hand_made_badge = re.compile(r'class="badge{% if [\w.]*(status|state) ')
    copies = [
        path.relative_to(ROOT).as_posix()
        for path in templates()
        if path.name != "_session_summary.html"
        and (summary.search(path.read_text()) or hand_made_badge.search(path.read_text()))
    ]
    # The check-in poster lists a venue's sessions one per line, not as cards.
    assert copies == ["sessions/templates/sessions/checkin_poster.html"]


def summary_of(html: str) -> str:
    """The summary block: the when, then the title, then the place."""
    found = re.search(
        r'<p class="card__when">\s*<time datetime="[^"]+">[^<]+</time>\s*</p>\s*'
        r'<(?:h3 class="card__heading"|p class="card__title")>([^<]+)</(?:h3|p)>\s*<p>([^<]+)',
        html,
    )
    assert found, "no session summary on the page"
    return " | ".join(part.strip() for part in found.groups())


def test_each_page_showing_a_session_draws_the_same_summary(client, supporter, coordinator):
    session = factories.session(
        title="スマホ入門",
        venue=factories.venue(name="東公民館"),
        starts_at=timezone.now() + timedelta(days=3),
    )
    shift = factories.shift(session=session, supporter=supporter)
    with translation.override("ja"):
        expected = f"{session.get_kind_display()}: スマホ入門 | 東公民館"

    client.force_login(supporter.user)
    for url in (
        reverse("helpdesk_sessions:board"),
        reverse("helpdesk_sessions:my_shifts"),
        reverse("helpdesk_sessions:cancel", args=[session.pk]),
        reverse("home"),
    ):
        assert summary_of(client.get(url).content.decode()) == expected, url
    shift.status = Shift.Status.OFFERED
    shift.offer_expires_at = timezone.now() + timedelta(hours=2)
    shift.save()
    offer = client.get(reverse("helpdesk_sessions:offer", args=[shift.pk]))
    assert summary_of(offer.content.decode()) == expected

    client.force_login(coordinator)
    roster = client.get(reverse("helpdesk_sessions:roster", args=[session.pk]))
    assert summary_of(roster.content.decode()) == expected
