"""On a phone-sized Chromium, the pages people use every week pass axe and the size rules.

The rules from the brief: body text at least 16px, tap targets at least 44px tall, labelled
fields and sufficient contrast (axe checks those two), and nothing loaded from another site.
"""

from datetime import datetime, time, timedelta
from urllib.parse import urlparse

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.test import Client
from django.utils import timezone

from config.fiscal import TOKYO
from sessions.models import Session
from tests import factories

SERIOUS = {"serious", "critical"}


def sign_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def small_tap_targets(page) -> list:
    """Visible links, buttons and fields less than 44px tall (inline links in prose excepted)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('a, button, input, select, textarea, summary')]
            .filter(el => el.offsetParent !== null && el.type !== 'hidden')
            .filter(el => !(el.tagName === 'A' && el.closest('p, li p, dd')))
            // A tick box is tapped through its label: the label is the target.
            .map(el => [el, ['checkbox', 'radio'].includes(el.type) && el.labels.length
                            ? el.labels[0] : el])
            .map(([el, target]) => [el.tagName,
                                    (el.textContent || el.name || '').trim().slice(0, 30),
                                    Math.round(target.getBoundingClientRect().height)])
            .filter(([, , height]) => height < 44)"""
    )


def check(page, url, live_server):
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(live_server.url + url)
    violations = [
        (violation["id"], violation["impact"], len(violation["nodes"]))
        for violation in Axe().run(page).response["violations"]
        if violation["impact"] in SERIOUS
    ]
    assert violations == [], f"{url}: {violations}"
    assert small_tap_targets(page) == [], url
    body_px = float(page.evaluate("getComputedStyle(document.body).fontSize").removesuffix("px"))
    assert body_px >= 16, url
    own_host = urlparse(live_server.url).netloc
    foreign = [u for u in requested if urlparse(u).netloc not in {own_host, ""}]
    assert foreign == [], f"{url} loaded {foreign}"


@pytest.fixture
def week(db):
    hall = factories.venue(name="東公民館", access_notes="駐車場あり。")
    at = datetime.combine(timezone.localdate() + timedelta(days=2), time(10), TOKYO)
    helpdesk = factories.session(venue=hall, starts_at=at, supporters_needed=2)
    factories.session(kind=Session.Kind.CLASS, venue=hall, starts_at=at + timedelta(days=1))
    return helpdesk


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("url", ["/", "/classes/", "/visits/", "/accounts/login/"])
def test_public_pages_pass_on_a_phone(live_server, page, week, url):
    check(page, url, live_server)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("url", ["/", "/board/", "/me/shifts/", "/me/calendar/"])
def test_supporter_pages_pass_on_a_phone(live_server, page, week, url):
    supporter = factories.supporter()
    factories.shift(session=week, supporter=supporter)
    sign_in(page, live_server, supporter.user)
    check(page, url, live_server)


@pytest.mark.django_db(transaction=True)
def test_the_roster_passes_on_a_phone(live_server, page, week):
    factories.shift(session=week)
    sign_in(page, live_server, factories.coordinator())
    check(page, f"/sessions/{week.pk}/roster/", live_server)


# Group visits (issue 10) ----------------------------------------------------------------------


@pytest.fixture
def visit(db):
    """A scheduled group visit with a lead, an invitation and an open request beside it."""
    request = factories.scheduled_visit(district=factories.district(code="azuma"))
    lead = factories.supporter()
    factories.shift(session=request.session, supporter=lead, role="lead")
    factories.dispatch_request(representative_phone="+81272241111")
    from sessions.models import DispatchInvitation

    request.invitation = DispatchInvitation.objects.create(
        session=request.session, supporter=factories.supporter()
    )
    request.lead = lead
    return request


@pytest.mark.django_db(transaction=True)
def test_the_group_visit_pages_pass_on_a_phone(live_server, page, visit):
    check(page, "/visits/request/", live_server)
    check(page, f"/visits/status/{visit.status_token}/", live_server)
    sign_in(page, live_server, factories.coordinator())
    check(page, "/visits/requests/", live_server)
    check(page, f"/visits/requests/{visit.pk}/", live_server)
    check(page, "/visits/request/", live_server)  # the coordinator's entry, with the channel


@pytest.mark.django_db(transaction=True)
def test_the_supporters_visit_pages_pass_on_a_phone(live_server, page, visit):
    sign_in(page, live_server, visit.invitation.supporter.user)
    check(page, f"/visits/invitations/{visit.invitation.pk}/", live_server)
    check(page, "/me/availability/", live_server)
    sign_in(page, live_server, visit.lead.user)
    check(page, f"/sessions/{visit.session.pk}/roster/", live_server)


@pytest.mark.django_db(transaction=True)
def test_the_visit_report_passes_on_a_phone(live_server, page, visit, time_machine):
    time_machine.move_to(visit.session.starts_at + timedelta(hours=1), tick=True)
    sign_in(page, live_server, visit.lead.user)
    check(page, f"/visits/requests/{visit.pk}/report/", live_server)
