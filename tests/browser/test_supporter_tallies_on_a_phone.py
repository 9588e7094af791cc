"""A supporter on a help desk records five consultations on a phone and undoes one (issue 11):
large buttons, the last choices kept for the next resident, the count in sight, at 390×844."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from consultations.models import Consultation
from tests import factories
from tests.browser.test_pages_pass_accessibility_checks import check, sign_in


@pytest.mark.django_db(transaction=True)
def test_a_supporter_records_five_consultations_and_undoes_one(live_server, page, pytestconfig):
    desk = factories.session(starts_at=timezone.now() - timedelta(minutes=20))
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
    page.get_by_role("button", name="記録する").click()
    for _ in range(3):  # the same again: the last choices are already ticked
        assert page.get_by_label("iPhone").is_checked()
        page.get_by_role("button", name="記録する").click()
    page.get_by_label("写真").check()
    page.get_by_role("button", name="記録する").click()
    assert "5件" in page.locator(".tally__count").inner_text()

    page.get_by_role("button", name="最後の記録を取り消す").click()

    assert "4件" in page.locator(".tally__count").inner_text()
    output = Path(pytestconfig.getoption("output"))
    output.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=output / "tally.png", full_page=True)
    assert Consultation.objects.counted().filter(session=desk).count() == 4
    undone = Consultation.objects.exclude(undone_at=None).get()
    assert undone.topic.code == "photos"


@pytest.mark.django_db(transaction=True)
def test_a_resident_answers_the_sessions_question_on_a_phone(live_server, page, pytestconfig):
    from consultations.models import Feedback

    desk = factories.session(starts_at=timezone.now() - timedelta(minutes=20))
    check(page, f"/sessions/{desk.pk}/feedback/", live_server)

    page.get_by_role("button", name="よかった").click()

    assert "ありがとうございました" in page.locator("h1").inner_text()
    output = Path(pytestconfig.getoption("output"))
    page.screenshot(path=output / "feedback-thanks.png")
    assert Feedback.objects.get().answer == "good"
