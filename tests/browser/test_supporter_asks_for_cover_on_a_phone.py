"""A supporter asks for cover from My shifts on a phone, and another takes the shift from the
text's link (issue 13). At 390×844; screenshots to /tmp/shots/ (not kept in the repository).

Selectors are the pages' links and buttons, not their words: the Japanese of these pages comes
with the catalogue.
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from notifications.models import OutboundMessage
from sessions.models import CoverRequest, Shift
from sessions.services import sign_up
from tests import factories
from tests.browser.test_pages_pass_accessibility_checks import small_tap_targets
from tests.browser.test_supporter_picks_a_shift import signed_in_cookie

LINK = re.compile(r"https?://\S+/cover/[\w-]+/")
SHOTS = Path("/tmp/shots")


@pytest.mark.django_db(transaction=True)
def test_a_supporter_asks_for_cover_and_another_takes_it_from_the_text(live_server, page, settings):
    settings.PUBLIC_URL = live_server.url
    SHOTS.mkdir(parents=True, exist_ok=True)
    session = factories.session(
        venue=factories.venue(name="東公民館"),
        starts_at=timezone.now() + timedelta(days=5),
        supporters_needed=2,
    )
    requester = factories.supporter(given_name="一郎")
    shift = sign_up(requester, session, by=None)
    taker = factories.supporter(given_name="次郎", training_level=5)

    page.context.add_cookies([signed_in_cookie(requester.user, live_server)])
    page.goto(live_server.url + "/me/shifts/")
    page.locator(f"a[href='/me/shifts/{shift.pk}/cover/']").click()
    assert small_tap_targets(page) == []
    page.screenshot(path=SHOTS / "cover-1-ask.png", full_page=True)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/me/shifts/$"))
    assert page.locator(f"form[action='/me/shifts/{shift.pk}/cover/cancel/']").is_visible()
    page.screenshot(path=SHOTS / "cover-2-asked.png", full_page=True)

    # The other supporter's phone: the text's link, no sign-in.
    page.context.clear_cookies()
    text = OutboundMessage.objects.get(to=taker.phone, idempotency_key__startswith="cover-offer")
    page.goto(LINK.search(text.body).group(0))
    assert "東公民館" in page.inner_text("main")
    assert small_tap_targets(page) == []
    page.screenshot(path=SHOTS / "cover-3-offer.png", full_page=True)
    page.locator("button[name=answer][value=take]").click()
    page.wait_for_selector("button[name=answer]", state="detached")
    page.screenshot(path=SHOTS / "cover-4-taken.png", full_page=True)

    cover = CoverRequest.objects.get(shift=shift)
    assert (cover.status, cover.taken_by) == (CoverRequest.Status.TAKEN, taker)
    shift.refresh_from_db()
    assert shift.status == Shift.Status.CANCELLED
    assert session.shifts.holding_place().filter(supporter=taker).exists()
    assert OutboundMessage.objects.filter(
        to=requester.phone, idempotency_key__startswith="cover-found"
    ).exists()
