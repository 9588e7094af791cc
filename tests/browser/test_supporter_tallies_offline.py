"""A community hall's Wi-Fi drops while a supporter records (issue 11): the taps are kept on the
phone, counted at once, shown as not yet sent, and sent when the connection returns; the key of
each tap makes a resend record nothing more. At 390×844, the phone set offline by the browser."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from consultations.models import Consultation
from sessions.models import Shift
from tests import factories
from tests.browser.test_pages_pass_accessibility_checks import check, sign_in

SENT_WITHIN_MS = 30_000  # the script retries on `online`, on load and every 20 seconds


@pytest.fixture
def desk(db):
    """A help desk that started 20 minutes ago, with one supporter on it."""
    session = factories.session(starts_at=factories.started_today())
    session.helper = factories.supporter()
    factories.shift(session=session, supporter=session.helper)
    factories.topic(code="line", name="LINE")
    return session


def open_tally(page, live_server, desk):
    sign_in(page, live_server, desk.helper.user)
    check(page, f"/sessions/{desk.pk}/tally/", live_server)  # axe, 44 px, 16 px, no other site
    expect(pending(page)).to_have_text("未送信 0件")


def pending(page):
    return page.locator(".tally__pending")


def count(page):
    return page.locator(".tally__total")


def choose(page):
    page.get_by_label("LINE").check()
    page.get_by_label("iPhone").check()
    page.get_by_label("70代").check()
    page.get_by_label("解決した", exact=True).check()
    page.get_by_label("15", exact=True).check()


def record(page):
    page.get_by_role("button", name="記録する").click()
    page.wait_for_timeout(750)  # a second tap sooner is a double tap, which records one


def queue_of(page) -> list:
    key = page.locator("[data-tally]").get_attribute("data-queue-key")
    return json.loads(page.evaluate("key => localStorage.getItem(key) || '[]'", key))


def put_back(page, entries):
    key = page.locator("[data-tally]").get_attribute("data-queue-key")
    page.evaluate("([key, value]) => localStorage.setItem(key, value)", [key, json.dumps(entries)])


def shot(page, pytestconfig, name):
    output = Path(pytestconfig.getoption("output"))
    output.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=output / name, full_page=True)


@pytest.mark.django_db(transaction=True)
def test_taps_made_offline_wait_on_the_phone_and_arrive_once_when_it_is_back_online(
    live_server, page, desk, pytestconfig
):
    open_tally(page, live_server, desk)
    page.context.set_offline(True)

    choose(page)
    for _ in range(3):
        record(page)

    expect(pending(page)).to_have_text("未送信 3件")
    expect(count(page)).to_contain_text("3件")
    assert page.get_by_label("iPhone").is_checked()  # the last choices stay for the next one
    assert not Consultation.objects.exists()
    waiting = queue_of(page)
    assert len({entry["key"] for entry in waiting}) == 3  # a key of its own for each tap
    shot(page, pytestconfig, "tally-offline.png")

    page.context.set_offline(False)

    expect(pending(page)).to_have_text("未送信 0件", timeout=SENT_WITHIN_MS)
    expect(count(page)).to_contain_text("3件")
    keys = set(Consultation.objects.values_list("entry_key", flat=True))
    assert {str(key) for key in keys} == {entry["key"] for entry in waiting}
    shot(page, pytestconfig, "tally-back-online.png")

    # The same entries sent again, each twice (a lost answer, another tab): nothing more.
    put_back(page, waiting + waiting)
    page.reload()

    expect(pending(page)).to_have_text("未送信 0件", timeout=SENT_WITHIN_MS)
    expect(count(page)).to_contain_text("3件")
    assert Consultation.objects.filter(session=desk).count() == 3
    assert queue_of(page) == []


@pytest.mark.django_db(transaction=True)
def test_undo_takes_back_a_waiting_tap_on_the_phone_and_a_sent_one_on_the_server(
    live_server, page, desk
):
    open_tally(page, live_server, desk)
    choose(page)
    record(page)
    expect(pending(page)).to_have_text("未送信 0件", timeout=SENT_WITHIN_MS)
    page.context.set_offline(True)
    record(page)
    record(page)
    expect(pending(page)).to_have_text("未送信 2件")

    page.get_by_role("button", name="最後の記録を取り消す").click()  # a waiting one

    expect(pending(page)).to_have_text("未送信 1件")
    expect(count(page)).to_contain_text("2件")
    page.context.set_offline(False)
    expect(pending(page)).to_have_text("未送信 0件", timeout=SENT_WITHIN_MS)
    assert Consultation.objects.counted().filter(session=desk).count() == 2

    page.get_by_role("button", name="最後の記録を取り消す").click()  # a sent one: the API's undo

    expect(count(page)).to_contain_text("1件")
    expect(page.locator(".tally__notice")).to_have_text("最後の記録を取り消しました。")
    assert Consultation.objects.counted().filter(session=desk).count() == 1
    assert Consultation.objects.exclude(undone_at=None).get().undone_by == desk.helper.user


@pytest.mark.django_db(transaction=True)
def test_a_tap_the_server_refuses_is_said_in_words_and_leaves_the_queue(
    live_server, page, desk, pytestconfig
):
    open_tally(page, live_server, desk)
    page.context.set_offline(True)
    choose(page)
    record(page)
    expect(pending(page)).to_have_text("未送信 1件")
    # Meanwhile a coordinator takes the supporter off the session.
    Shift.objects.filter(session=desk).update(status=Shift.Status.CANCELLED)

    page.context.set_offline(False)

    expect(pending(page)).to_have_text("未送信 0件", timeout=SENT_WITHIN_MS)
    expect(page.locator(".tally__notice")).to_contain_text("記録できませんでした")
    expect(count(page)).to_contain_text("0件")
    assert queue_of(page) == []
    assert not Consultation.objects.exists()
    shot(page, pytestconfig, "tally-refused.png")


@pytest.mark.django_db(transaction=True)
def test_a_double_tap_records_one(live_server, page, desk):
    open_tally(page, live_server, desk)
    choose(page)

    page.get_by_role("button", name="記録する").dblclick()

    expect(pending(page)).to_have_text("未送信 0件", timeout=SENT_WITHIN_MS)
    expect(count(page)).to_contain_text("1件")
    assert Consultation.objects.filter(session=desk).count() == 1
