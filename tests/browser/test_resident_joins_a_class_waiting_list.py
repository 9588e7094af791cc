"""A resident joins a full class's waiting list from a phone, someone cancels, and the resident
takes the offered seat from the text's link (issue 11). At 390×844, in Japanese; screenshots
to /tmp/shots/ (not kept in the repository). The class pages also pass axe and the size rules.
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import OutboundMessage
from sessions.models import ClassRegistration, Session
from sessions.services import cancel_registration, register_for_class
from tests import factories
from tests.browser.test_pages_pass_accessibility_checks import check, small_tap_targets

LINK = re.compile(r"https?://\S+")
SHOTS = Path("/tmp/shots")


@pytest.fixture
def shots():
    SHOTS.mkdir(parents=True, exist_ok=True)
    return lambda page, name: page.screenshot(path=SHOTS / f"class-{name}.png", full_page=True)


@pytest.fixture
def full_class(db):
    """Next week's LINE class at the community hall: its one seat taken."""
    hall = factories.venue(name="東公民館", address="前橋市日吉町1-2-3")
    session = factories.session(
        kind=Session.Kind.CLASS,
        venue=hall,
        title="はじめてのLINE",
        capacity=1,
        class_level=Session.Level.INTRODUCTION,
        loaner_devices=True,
        starts_at=timezone.now() + timedelta(days=7),
    )
    made, _created = register_for_class(
        {"name": "先に 申し込んだ人", "phone": "090-1111-2222", "own_phone": True, "consent": True},
        session,
    )
    session.seated = made[0]
    return session


@pytest.mark.django_db(transaction=True)
def test_a_resident_joins_the_waiting_list_and_takes_the_seat_from_the_text(
    live_server, page, full_class, shots, settings
):
    settings.PUBLIC_URL = live_server.url

    # The list: the class is full, its waiting list open.
    page.goto(live_server.url + reverse("helpdesk_sessions:classes"))
    card = page.locator(".card", has_text="はじめてのLINE")
    assert "満席" in card.inner_text()
    assert small_tap_targets(page) == []
    shots(page, "1-list")
    card.get_by_role("link", name="詳しく見る・キャンセル待ちに申し込む").click()
    shots(page, "2-class")
    page.get_by_role("link", name="キャンセル待ちに登録する").click()

    page.get_by_label("お名前", exact=True).fill("赤城 花子")
    page.get_by_label("お名前（ふりがな）").fill("あかぎ はなこ")
    page.get_by_label("電話番号").fill("090-1234-5678")
    page.get_by_label("いいえ、教室で貸してほしいです").check()
    page.get_by_label("個人情報の取り扱いに同意します。").check()
    assert small_tap_targets(page) == []
    shots(page, "3-form")
    page.get_by_role("button", name="キャンセル待ちに登録する").click()

    mine = ClassRegistration.objects.get(phone="+819012345678")
    assert mine.status == ClassRegistration.Status.WAITLISTED
    assert page.locator("h1").inner_text() == "キャンセル待ちに登録しました。"
    assert "キャンセル待ち 1番目" in page.inner_text("main")
    assert page.locator(".reference--big").get_attribute("aria-label") == mine.reference
    shots(page, "4-waiting")

    # Someone with a seat cancels: the seat is offered to the resident by text.
    cancel_registration(full_class.seated, by=None)
    offer = OutboundMessage.objects.get(
        to="+819012345678", purpose=OutboundMessage.Purpose.WAITLIST_OFFER
    )
    [link] = LINK.findall(offer.body)
    assert link.startswith(live_server.url)

    page.goto(link)
    assert "空席が出ました" in page.inner_text("main")
    assert small_tap_targets(page) == []
    shots(page, "5-offer")
    page.get_by_role("button", name="はい、参加します").click()

    assert "席を確保しました。教室でお待ちしています！" in page.inner_text("body")
    assert "席が確保されています" in page.inner_text("main")
    shots(page, "6-taken")
    mine.refresh_from_db()
    assert mine.status == ClassRegistration.Status.REGISTERED
    assert mine.needs_device is True


@pytest.mark.django_db(transaction=True)
def test_the_class_pages_pass_on_a_phone(live_server, page, full_class):
    registration = full_class.seated
    check(page, f"/classes/{full_class.pk}/", live_server)
    check(page, f"/classes/{full_class.pk}/register/", live_server)
    check(page, f"/classes/registrations/{registration.status_token}/", live_server)
    check(page, f"/classes/registrations/{registration.status_token}/sent/", live_server)
    check(page, f"/classes/registrations/{registration.status_token}/cancel/", live_server)
