"""On a phone, a supporter opens the shift board, signs up with one tap, finds the shift in My
shifts, and cancels it after saying yes on the confirmation page."""

import re
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from config.fiscal import TOKYO
from notifications.models import OutboundMessage
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


@pytest.mark.django_db(transaction=True)
def test_signed_out_meanwhile_a_tap_on_sign_up_goes_to_sign_in_and_back_to_the_board(
    live_server, page
):
    cache.clear()  # the cache table outlives transactional tests' flushes: no earlier counts
    wanted = factories.session(supporters_needed=2)
    supporter = factories.supporter()
    page.context.add_cookies([signed_in_cookie(supporter.user, live_server)])
    board = live_server.url + reverse("helpdesk_sessions:board")
    page.goto(board)
    page.context.clear_cookies(name="sessionid")  # the session ran out while the board was open

    page.locator(f"#session-{wanted.pk} form[action$='/signup/'] button").click()

    # The whole page is the sign-in page, not a card with the sign-in page inside it.
    page.wait_for_url(re.compile(re.escape(reverse("account_login")) + r"\?next="))
    assert page.locator(".card #id_phone").count() == 0
    page.locator("#id_phone").fill(supporter.user.phone)
    page.locator("form:has(#id_phone) button[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(reverse("account_confirm_login_code"))))
    text = OutboundMessage.objects.get(purpose=OutboundMessage.Purpose.SIGN_IN_CODE)
    page.locator("input[name=code]").fill(re.search(r"\d{6}", text.body)[0])
    page.locator("input[name=code]").press("Enter")

    page.wait_for_url(board)
    page.locator(f"#session-{wanted.pk} form[action$='/signup/'] button").click()
    page.locator(f"#session-{wanted.pk}.session-card--mine").wait_for()
    assert Shift.objects.get(session=wanted).supporter == supporter


@pytest.mark.django_db(transaction=True)
def test_a_coordinator_confirms_a_removal_and_the_roster_count_follows(live_server, page):
    session = factories.session(supporters_needed=2)
    leaving = factories.shift(session=session)
    factories.shift(session=session)
    page.context.add_cookies([signed_in_cookie(factories.coordinator(), live_server)])
    page.goto(live_server.url + reverse("helpdesk_sessions:roster", args=[session.pk]))
    badge = page.locator("main .card .badge").first
    assert "2" in badge.inner_text()
    questions = []

    def answer(dialog):
        questions.append(dialog.message)
        dialog.dismiss() if len(questions) == 1 else dialog.accept()

    page.on("dialog", answer)
    remove = page.locator(f"#shift-{leaving.pk} button.button--danger")
    remove.click()  # "no": nothing happens
    leaving.refresh_from_db()
    assert leaving.status == Shift.Status.SIGNED_UP
    remove.click()  # "yes"

    page.locator(f"#shift-{leaving.pk}").wait_for(state="detached")
    assert leaving.supporter.full_name in questions[0]
    assert "1" in page.locator("main .card .badge").first.inner_text()
    leaving.refresh_from_db()
    assert leaving.status == Shift.Status.CANCELLED
