"""A supporter on a help desk records five consultations on a phone and undoes one (issue 11):
large buttons, the last choices kept for the next resident, the count in sight, at 390×844."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from consultations.models import Consultation
from tests import factories
from tests.browser.test_pages_pass_accessibility_checks import check, sign_in


def record(page):
    page.get_by_role("button", name="記録する").click()
    page.wait_for_timeout(750)  # a second tap sooner is a double tap, which records one


@pytest.mark.django_db(transaction=True)
def test_a_supporter_records_five_consultations_and_undoes_one(live_server, page, pytestconfig):
    desk = factories.session(starts_at=factories.started_today())
    supporter = factories.supporter()
    factories.shift(session=desk, supporter=supporter)
    factories.topic(code="line", name="LINE")
    factories.topic(code="photos", name="写真")
    sign_in(page, live_server, supporter.user)
    check(page, f"/sessions/{desk.pk}/tally/", live_server)  # axe, 44 px, 16 px, no other site

    page.get_by_label("LINE").check()
    page.get_by_label("iPhone").check()
    page.get_by_label("70代").check()
    page.get_by_label("解決した", exact=True).check()
    page.get_by_label("15", exact=True).check()
    record(page)
    for _ in range(3):  # the same again: the last choices are already ticked
        assert page.get_by_label("iPhone").is_checked()
        record(page)
    page.get_by_label("写真").check()
    record(page)
    expect(page.locator(".tally__total")).to_contain_text("5件")
    expect(page.locator(".tally__pending")).to_have_text("未送信 0件")

    page.get_by_role("button", name="最後の記録を取り消す").click()

    expect(page.locator(".tally__total")).to_contain_text("4件")
    expect(page.locator(".tally__notice")).to_have_text("最後の記録を取り消しました。")
    output = Path(pytestconfig.getoption("output"))
    output.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=output / "tally.png", full_page=True)
    assert Consultation.objects.counted().filter(session=desk).count() == 4
    undone = Consultation.objects.exclude(undone_at=None).get()
    assert undone.topic.code == "photos"


@pytest.mark.django_db(transaction=True)
def test_a_resident_answers_the_sessions_question_on_a_phone(live_server, page, pytestconfig):
    from consultations.models import Feedback

    desk = factories.session(starts_at=factories.started_today())
    check(page, f"/sessions/{desk.pk}/feedback/", live_server)

    page.get_by_role("button", name="よかった").click()

    assert "ありがとうございました" in page.locator("h1").inner_text()
    output = Path(pytestconfig.getoption("output"))
    page.screenshot(path=output / "feedback-thanks.png")
    assert Feedback.objects.get().answer == "good"


@pytest.mark.django_db(transaction=True)
def test_without_javascript_every_tap_is_a_plain_form_post(browser, live_server):
    desk = factories.session(starts_at=factories.started_today())
    supporter = factories.supporter()
    factories.shift(session=desk, supporter=supporter)
    factories.topic(code="line", name="LINE")
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 390, "height": 844}, locale="ja-JP"
    )
    page = context.new_page()
    sign_in(page, live_server, supporter.user)
    page.goto(f"{live_server.url}/sessions/{desk.pk}/tally/")

    page.get_by_label("LINE").check()
    page.get_by_label("iPhone").check()
    page.get_by_label("70代").check()
    page.get_by_label("15", exact=True).check()
    page.get_by_role("button", name="記録する").click()
    page.get_by_role("button", name="記録する").click()  # the next resident, the same choices

    assert "2件" in page.locator(".tally__count").inner_text()
    assert not page.locator(".tally__pending").is_visible()  # nothing waits on the phone
    assert Consultation.objects.filter(session=desk).count() == 2
    context.close()


@pytest.mark.django_db(transaction=True)
def test_a_coordinator_corrects_a_record_on_a_phone_and_prints_the_feedback_card(
    live_server, page, pytestconfig
):
    from consultations.services import record_consultation

    desk = factories.session(starts_at=timezone.now() - timedelta(days=2))
    line = factories.topic(code="line", name="LINE")
    coordinator = factories.coordinator()
    record_consultation(desk, by=coordinator, topic=line, device="iphone", age_band="70s")
    sign_in(page, live_server, coordinator)
    check(page, f"/sessions/{desk.pk}/tally/records/", live_server)

    page.get_by_role("link", name="修正する").click()
    page.get_by_label("機器").select_option("android")
    page.get_by_role("button", name="修正を保存する").click()

    assert "記録を修正しました" in page.locator(".messages").inner_text()
    page.get_by_text("変更 1件").click()  # the history opens
    assert "iPhone → Android" in page.locator(".history").inner_text()
    output = Path(pytestconfig.getoption("output"))
    page.screenshot(path=output / "tally-records.png", full_page=True)
    assert Consultation.objects.get().device == "android"
    check(page, f"/sessions/{desk.pk}/feedback/card/", live_server)
    page.screenshot(path=output / "feedback-card.png", full_page=True)
    page.emulate_media(media="print")
    page.screenshot(path=output / "feedback-card-print.png", full_page=True)
