"""On a phone at the door of a smartphone class, a coordinator opens the class desk from the
menu, opens the class's roster and marks three residents present with one tap each."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from sessions.models import ClassRegistration, Session
from sessions.services import create_class
from tests import factories
from tests.browser.test_pages_pass_accessibility_checks import check, sign_in
from tests.browser.test_supporter_picks_a_shift import signed_in_cookie

SHOTS = Path("/tmp/shots")


@pytest.mark.django_db(transaction=True)
def test_a_coordinator_marks_three_residents_present_at_the_door(live_server, page):
    coordinator = factories.coordinator(username="kanri")
    hall = factories.venue(name="城南公民館", is_helpdesk=False)
    starts = timezone.now() + timedelta(minutes=10)  # the door opens half an hour before
    a_class = create_class(
        {
            "title": "LINE入門",
            "class_level": Session.Level.BASICS,
            "organiser": Session.Organiser.KOMINKAN,
            "venue": hall,
            "capacity": 4,
            "supporters_needed": 2,
            "starts_at": starts,
            "ends_at": starts + timedelta(hours=2),
        },
        by=coordinator,
    )
    residents = [
        ("赤城 花子", "あかぎ はなこ", "+819011112222"),
        ("榛名 一郎", "はるな いちろう", "+81272241111"),
        ("妙義 幸子", "みょうぎ さちこ", "+818033334444"),
        ("利根 次郎", "とね じろう", "+817055556666"),
    ]
    registrations = [
        factories.class_registration(session=a_class, name=name, name_kana=kana, phone=phone)
        for name, kana, phone in residents
    ]
    factories.class_registration(
        session=a_class,
        name="碓氷 和子",
        status=ClassRegistration.Status.WAITLISTED,
        waitlist_position=1,
    )
    page.context.add_cookies([signed_in_cookie(coordinator, live_server)])
    SHOTS.mkdir(parents=True, exist_ok=True)

    # The class desk, from the coordinators' menu (folded on a phone).
    page.goto(live_server.url + reverse("home"))
    page.locator(".site-menu > summary").click()
    page.locator(f"nav a[href='{reverse('helpdesk_sessions:class_desk')}']").click()
    page.wait_for_url(live_server.url + reverse("helpdesk_sessions:class_desk"))
    card = page.locator(f"#class-{a_class.pk}")
    assert "定員4人中4人申込み" in card.inner_text()
    assert "1人キャンセル待ち" in card.inner_text()
    page.screenshot(path=SHOTS / "class-desk.png", full_page=True)
    card.locator("a.card__link").click()
    page.wait_for_url(
        live_server.url + reverse("helpdesk_sessions:class_roster", args=[a_class.pk])
    )
    assert "027-224-1111" in page.locator(f"#registration-{registrations[1].pk}").inner_text()
    assert page.viewport_size == {"width": 390, "height": 844}
    page.screenshot(path=SHOTS / "class-roster-before.png", full_page=True)

    # One tap per resident; htmx swaps the row, which then shows the toggle pressed.
    for registration in registrations[:3]:
        row = page.locator(f"#registration-{registration.pk}")
        toggle = row.locator("button.door-toggle")
        box = toggle.bounding_box()
        assert box["height"] >= 44
        assert box["width"] >= 300
        toggle.click()
        page.locator(f"#registration-{registration.pk}.attendee--present").wait_for()
        assert row.locator("button[aria-pressed='true']").count() == 1
    assert page.locator("#attended-count").inner_text() == "3人出席"
    # Nothing wider than the phone: the roster never scrolls sideways at the door.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator(f"#registration-{registrations[0].pk}").scroll_into_view_if_needed()
    page.screenshot(path=SHOTS / "class-roster-marked.png")
    page.screenshot(path=SHOTS / "class-roster-marked-full.png", full_page=True)

    statuses = dict(ClassRegistration.objects.values_list("name", "status"))
    assert [statuses[name] for name, _kana, _phone in residents] == ["attended"] * 3 + [
        "registered"
    ]
    assert statuses["碓氷 和子"] == "waitlisted"

    # The page read afresh shows the same: the marks are the database's, not the browser's.
    page.reload()
    assert page.locator(".attendee--present").count() == 3


@pytest.mark.django_db(transaction=True)
def test_the_class_desk_pages_pass_the_accessibility_checks_on_a_phone(live_server, page):
    coordinator = factories.coordinator(username="kanri")
    hall = factories.venue(name="城南公民館", is_helpdesk=False)
    starts = timezone.now() + timedelta(minutes=10)
    fields = {"class_level": 1, "organiser": "city", "venue": hall, "capacity": 2}
    a_class = create_class(
        {
            **fields,
            "title": "LINE入門",
            "starts_at": starts,
            "ends_at": starts + timedelta(hours=2),
        },
        by=coordinator,
    )
    factories.class_registration(session=a_class, phone="+81272241111", needs_device=True)
    factories.class_registration(session=a_class, status=ClassRegistration.Status.ATTENDED)
    factories.class_registration(
        session=a_class, status=ClassRegistration.Status.WAITLISTED, waitlist_position=1
    )
    factories.class_registration(session=a_class, status=ClassRegistration.Status.CANCELLED)
    sign_in(page, live_server, coordinator)

    for url in [
        reverse("helpdesk_sessions:class_desk"),
        reverse("helpdesk_sessions:class_new"),
        reverse("helpdesk_sessions:class_series_new"),
        reverse("helpdesk_sessions:class_edit", args=[a_class.pk]),
        reverse("helpdesk_sessions:class_roster", args=[a_class.pk]),
    ]:
        check(page, url, live_server)
