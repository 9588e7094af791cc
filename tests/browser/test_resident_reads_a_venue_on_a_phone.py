"""A resident on a phone (390×844) finds a help desk (issue 11): the venues, one venue's page
with a date called off, and the month to print with its QR code; in Japanese, passing axe and
the size rules, loading nothing from another site. And a coordinator adds a year's dates on a
tablet with JavaScript off, twice from two tabs. Screenshots go to /tmp/shots/."""

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from sessions.services import cancel_session, generate_sessions
from tests import factories
from tests.browser.test_pages_pass_accessibility_checks import check, sign_in

SHOTS = Path("/tmp/shots")


@pytest.mark.django_db(transaction=True)
def test_a_resident_opens_the_venues_then_a_venue_then_its_month_to_print(live_server, page):
    district = factories.district(code="azuma", name="東")
    hall = factories.venue(
        name="東公民館",
        district=district,
        address="前橋市東片貝町28-1",
        latitude=Decimal("36.389400"),
        longitude=Decimal("139.080100"),
        access_notes="関越交通バス「東公民館前」下車すぐ。駐車場は50台です。",
        accessibility_notes="正面玄関にスロープ、1階に多目的トイレがあります。",
        has_wifi=True,
    )
    factories.venue(name="総社公民館", district=district)
    today = timezone.localdate()
    schedule = factories.schedule(
        venue=hall, weeks_of_month="1,2,3,4,5", valid_from=date(2024, 4, 1)
    )
    plan = generate_sessions(schedule, today, today + timedelta(days=60))
    called_off = plan.created[1]
    cancel_session(called_off, by=None, reason="大雪のため")
    SHOTS.mkdir(parents=True, exist_ok=True)

    check(page, "/venues/", live_server)  # axe, 44 px, 16 px, no other site
    assert "毎週火曜日 10:00–12:00" in page.locator("main").inner_text()
    page.screenshot(path=SHOTS / "venues.png", full_page=True)

    page.get_by_role("link", name="東公民館", exact=True).click()
    page.wait_for_url(f"{live_server.url}/venues/{hall.pk}/")
    check(page, f"/venues/{hall.pk}/", live_server)
    main = page.locator("main").inner_text()
    assert "中止" in main
    assert "大雪のため" in main
    assert "持ち物" in main
    assert page.get_by_role("link", name="地図を開く（OpenStreetMap）").is_visible()
    page.screenshot(path=SHOTS / "venue.png", full_page=True)

    page.get_by_role("link", name="今月の日程を印刷する").click()
    page.wait_for_url(f"{live_server.url}/venues/{hall.pk}/print/")
    check(page, f"/venues/{hall.pk}/print/", live_server)
    assert page.locator(".month-sheet svg[role=img]").is_visible()
    page.screenshot(path=SHOTS / "venue-print.png", full_page=True)
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.locator(".month-nav").is_visible()
    page.screenshot(path=SHOTS / "venue-print-as-printed.png", full_page=True)


@pytest.mark.django_db(transaction=True)
def test_a_coordinator_adds_a_years_dates_on_a_tablet_without_javascript(
    live_server, browser, page
):
    hall = factories.venue(name="南橘公民館", district=factories.district(code="nankitsu"))
    schedule = factories.schedule(venue=hall, valid_from=date(2024, 4, 1))
    coordinator = factories.coordinator()
    sign_in(page, live_server, coordinator)
    check(page, "/schedules/", live_server)
    check(page, f"/schedules/{schedule.pk}/generate/?fiscal_year=", live_server)

    tablet = browser.new_context(
        viewport={"width": 820, "height": 1180}, java_script_enabled=False, locale="ja-JP"
    )
    plain = tablet.new_page()
    sign_in(plain, live_server, coordinator)
    plain.goto(f"{live_server.url}/schedules/")
    plain.get_by_role("link", name="開催日を追加").click()
    plain.get_by_role("button", name="日付を表示").click()  # the current fiscal year
    assert "除いた日" in plain.locator("main").inner_text()
    plain.screenshot(path=SHOTS / "schedule-preview.png", full_page=True)
    second_tab = tablet.new_page()  # the same preview open twice: a double submit
    second_tab.goto(plain.url)
    plain.get_by_role("button", name="を追加する").click()

    assert "開催日を追加しました" in plain.locator("main").inner_text()
    added = schedule.sessions.count()
    assert added > 0
    plain.screenshot(path=SHOTS / "schedule-detail.png", full_page=True)
    second_tab.get_by_role("button", name="を追加する").click()
    assert "すべての開催日がすでにあります" in second_tab.locator("main").inner_text()
    assert schedule.sessions.count() == added
    plain.go_back()  # back to the preview, asked again: nothing is left to add
    assert "追加する日はありません" in plain.locator("main").inner_text()
    tablet.close()
