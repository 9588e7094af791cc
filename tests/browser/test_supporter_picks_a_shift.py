"""On a phone, a supporter opens the shift board, signs up with one tap, finds the shift in My
shifts, and cancels it after saying yes on the confirmation page."""

import re
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from config.fiscal import TOKYO
from sessions.models import Session, Shift
from tests import factories


def signed_in_cookie(user, live_server) -> dict:
    """The session cookie of `user`, signed in server-side (phone sign-in has its own test)."""
    client = Client()
    client.force_login(user)
    return {
        "name": "sessionid",
        "value": client.cookies["sessionid"].value,
        "url": live_server.url,
    }


@pytest.mark.django_db(transaction=True)
def test_a_supporter_picks_a_shift_and_cancels_it(live_server, page, pytestconfig):
    # Transactional tests flush the migrations' districts: make what the page shows.
    azuma = factories.district(code="azuma", name="東")
    hall = factories.venue(
        name="東公民館",
        district=azuma,
        latitude=Decimal("36.389000"),
        longitude=Decimal("139.096000"),
        access_notes="バス停「東公民館前」から徒歩1分。駐車場あり。",
    )
    day = timezone.localdate() + timedelta(days=3)
    at = datetime.combine(day, time(10, 0), TOKYO)
    wanted = factories.session(venue=hall, starts_at=at, supporters_needed=3)
    factories.shift(session=wanted, supporter=factories.supporter(given_name="一郎"))
    factories.session(
        kind=Session.Kind.CLASS, title="LINE入門", starts_at=at + timedelta(days=1, hours=3)
    )
    factories.session(
        kind=Session.Kind.DISPATCH,
        venue=None,
        place_name="大手町自治会館",
        address="前橋市大手町1-1-1",
        district=azuma,
        starts_at=at + timedelta(days=2),
        min_level=2,
    )
    supporter = factories.supporter(family_name="前橋", given_name="花子")
    page.context.add_cookies([signed_in_cookie(supporter.user, live_server)])
    output = Path(pytestconfig.getoption("output"))
    output.mkdir(parents=True, exist_ok=True)

    # The board: one card per session, grouped by day; one tap signs up (htmx swaps the card).
    page.goto(live_server.url + reverse("helpdesk_sessions:board"))
    card = page.locator(f"#session-{wanted.pk}")
    assert "東公民館" in card.inner_text()
    assert "一郎" in card.inner_text()
    page.screenshot(path=output / "shift-board.png", full_page=True)
    card.locator("form[action$='/signup/'] button").click()
    page.locator(f"#session-{wanted.pk}.session-card--mine").wait_for()
    shift = Shift.objects.get(supporter=supporter, session=wanted)
    assert shift.status == Shift.Status.SIGNED_UP
    assert page.viewport_size == {"width": 390, "height": 844}

    # My shifts, from the menu (folded on a phone): the shift, the access notes, the map link.
    page.locator(".site-menu > summary").click()
    page.locator(f"nav a[href='{reverse('helpdesk_sessions:my_shifts')}']").click()
    page.wait_for_url(live_server.url + reverse("helpdesk_sessions:my_shifts"))
    mine = page.locator(f"#shift-{shift.pk}")
    assert "東公民館" in mine.inner_text()
    assert "駐車場あり" in mine.inner_text()
    assert "openstreetmap.org" in mine.locator("a.map-link").get_attribute("href")
    page.screenshot(path=output / "my-shifts.png", full_page=True)

    # Cancel, saying yes on the confirmation page; back on My shifts, it is gone.
    mine.locator(f"a[href^='{reverse('helpdesk_sessions:cancel', args=[wanted.pk])}']").click()
    page.wait_for_url(re.compile(re.escape(reverse("helpdesk_sessions:cancel", args=[wanted.pk]))))
    shift.refresh_from_db()
    assert shift.status == Shift.Status.SIGNED_UP  # asking is not cancelling
    page.screenshot(path=output / "cancel-confirmation.png", full_page=True)
    page.locator("form button.button--danger").click()
    page.wait_for_url(live_server.url + reverse("helpdesk_sessions:my_shifts"))
    assert page.locator(f"#shift-{shift.pk}").count() == 0
    shift.refresh_from_db()
    assert shift.status == Shift.Status.CANCELLED
