"""A group visit from a phone, end to end (issue 10): a resident asks in Japanese, makes one
mistake (two residents), corrects it and gets the reference; a coordinator schedules it and
invites a suggested supporter; the supporter takes the place from the text's link; the visit
shows on the board as staffed. At 390×844, the screenshots kept in the test output."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import OutboundMessage
from sessions.models import DispatchRequest, Shift
from supporters.models import Availability
from tests import factories
from tests.browser.test_pages_pass_accessibility_checks import sign_in, small_tap_targets

LINK = re.compile(r"https?://\S+")


@pytest.fixture
def shots(pytestconfig):
    output = Path(pytestconfig.getoption("output"))
    output.mkdir(parents=True, exist_ok=True)
    return lambda page, name: page.screenshot(path=output / f"visit-{name}.png", full_page=True)


@pytest.mark.django_db(transaction=True)
def test_a_group_visit_goes_from_a_residents_request_to_a_staffed_visit(
    live_server, page, browser, shots, settings
):
    settings.DIGISAPO_PUBLIC_URL = live_server.url
    settings.PUBLIC_URL = live_server.url
    azuma = factories.district(code="azuma", name="東")  # a flushed test database has none
    factories.topic(code="line", name="LINE")
    first_choice = timezone.localdate() + timedelta(days=21)
    helper = factories.supporter(
        given_name="一郎", district=azuma, training_level=4, user_kwargs={"language": "ja"}
    )
    Availability.objects.create(
        supporter=helper, weekday=first_choice.weekday(), part=Availability.Part.AFTERNOON
    )

    # The resident: from the home page's button straight to the form.
    page.goto(live_server.url + "/")
    page.locator(f"a.button[href='{reverse('helpdesk_sessions:request')}']").first.click()
    page.get_by_label("グループの名前").fill("岩神町いきいきサロン")
    page.get_by_label("お名前（グループの連絡先となる方）").fill("赤城 花子")
    page.get_by_label("お名前（ふりがな）").fill("あかぎ はなこ")
    page.get_by_label("電話番号").fill(
        "０９０－１２３４－５６７８"
    )  # full-width, as typed on a phone
    page.get_by_label("参加する人数").fill("2")
    page.get_by_label("場所", exact=True).fill("岩神町公民館")
    page.get_by_label("場所の住所").fill("前橋市岩神町1-2-3")
    page.get_by_label("地区").select_option(label="東")
    page.get_by_label("第1希望日").fill(first_choice.isoformat())
    page.get_by_label("午後").check()
    page.get_by_label("LINE").check()
    page.get_by_label("iPhone").check()
    page.get_by_label("個人情報の取り扱いに同意します。").check()
    shots(page, "1-form")
    page.get_by_role("button", name="申し込む").click()

    residents = page.get_by_label("参加する人数")
    error = page.locator(".errorlist").first
    assert "3人以上" in error.inner_text()
    assert not DispatchRequest.objects.exists()
    shots(page, "2-mistake")
    residents.fill("6")
    page.get_by_label("個人情報の取り扱いに同意します。").check()
    page.get_by_role("button", name="申し込む").click()

    request = DispatchRequest.objects.get()
    reference = page.locator(".reference--big")
    assert reference.get_attribute("aria-label") == request.reference
    assert request.representative_phone == "+819012345678"
    shots(page, "3-reference")

    # The coordinator, on a phone too: the requests page, the request, schedule on the first
    # choice, invite the top suggestion.
    coordinator_page = browser.new_page(viewport={"width": 390, "height": 844}, locale="ja-JP")
    sign_in(coordinator_page, live_server, factories.coordinator())
    coordinator_page.goto(live_server.url + reverse("helpdesk_sessions:requests"))
    coordinator_page.get_by_role("link", name=re.compile(request.reference)).click()
    shots(coordinator_page, "4-request")
    coordinator_page.get_by_label("必要なサポーター数").fill("1")
    coordinator_page.get_by_role("button", name="日程を決めて募集に載せる").click()
    request.refresh_from_db()
    assert request.status == "scheduled"
    suggestion = coordinator_page.locator(f"input[name='supporters'][value='{helper.pk}']")
    suggestion.check()
    shots(coordinator_page, "5-suggestions")
    assert small_tap_targets(coordinator_page) == []
    coordinator_page.get_by_role("button", name="チェックしたサポーターにSMSで依頼する").click()
    coordinator_page.get_by_text("依頼しました").wait_for()

    # The supporter: the text's link, then take the place.
    invitation_text = OutboundMessage.objects.get(
        to=helper.phone, purpose=OutboundMessage.Purpose.INVITATION
    )
    [link] = LINK.findall(invitation_text.body)
    supporter_page = browser.new_page(viewport={"width": 390, "height": 844}, locale="ja-JP")
    sign_in(supporter_page, live_server, helper.user)
    supporter_page.goto(link)
    shots(supporter_page, "6-invitation")
    supporter_page.get_by_role("button", name="参加する").click()
    shift = Shift.objects.get(supporter=helper)
    assert (shift.session, shift.role, shift.status) == (request.session, "lead", "signed_up")

    # The board shows the visit staffed, with its lead.
    day = first_choice.isoformat()
    supporter_page.goto(
        f"{live_server.url}{reverse('helpdesk_sessions:board')}"
        f"?kind=dispatch&date_from={day}&date_to={day}"
    )
    card = supporter_page.locator(f"#session-{request.session.pk}")
    assert card.locator(".badge--ok").first.is_visible()
    assert "サポーター 1人中 1人" in card.inner_text()
    shots(supporter_page, "7-board")
    staffed = OutboundMessage.objects.filter(to="+819012345678").values_list("body", flat=True)
    assert any("一郎" in body for body in staffed)  # the representative is told who leads
