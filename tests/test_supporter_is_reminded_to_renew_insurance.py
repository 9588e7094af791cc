"""Volunteer insurance running out (issue 13): a text to the supporter 30 days and 7 days before
it ends, one to each coordinator on the day, planned by the day and sent once however often the
daily run runs; none to a withdrawn or paused supporter or to a landline. A supporter whose
insurance has lapsed is told on the board why they cannot take shifts, and whom to call."""

from datetime import date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import formats, translation
from django_tasks_db.models import DBTaskResult

from config.fiscal import TOKYO
from notifications.models import OutboundMessage
from notifications.planners import queue_planned_reminders
from notifications.segments import count_segments
from notifications.tasks import next_daily_run_at, schedule_daily_reminders, send_due_reminders
from supporters.insurance import insurance_reminders
from supporters.texts import render_sms
from tests import factories
from tests.versions import settle_public_version

pytestmark = pytest.mark.usefixtures("monday_morning")

END_OF_FY2025 = date(2026, 3, 31)  # insurance runs with the fiscal year
LANDLINE = "+81272241111"
OTHER_LANDLINE = "+81272200000"
BOARD = reverse("helpdesk_sessions:board")


@pytest.fixture
def monday_10am():
    return datetime(2026, 2, 27, 9, 0, tzinfo=TOKYO)  # a Friday: the clock moves day by day


def on(clock, day: date):
    """The daily run at 09:00 on `day`."""
    clock.move_to(datetime(day.year, day.month, day.day, 9, 0, tzinfo=TOKYO), tick=False)
    return queue_planned_reminders()


def keys():
    return sorted(OutboundMessage.objects.values_list("idempotency_key", flat=True))


@pytest.fixture
def insured(db):
    return factories.supporter(insurance_valid_until=END_OF_FY2025)


@pytest.fixture
def coordinators(db):
    kanri = factories.coordinator(username="kanri", phone="+819011110001")
    english = factories.coordinator(username="sato", phone="+819011110002", language="en")
    factories.coordinator(username="nophone")  # no number: no text
    factories.coordinator(username="desk", phone=LANDLINE)  # a landline takes none
    factories.user(username="root", is_superuser=True, phone="+819011110009")  # not on call
    return kanri, english


def test_a_supporter_is_reminded_30_and_7_days_before_and_coordinators_on_the_day(
    monday_morning, insured, coordinators
):
    kanri, english = coordinators
    seen = {}
    day = date(2026, 2, 27)
    while day <= date(2026, 4, 3):
        before = set(keys())
        on(monday_morning, day)
        if new := sorted(set(keys()) - before):
            seen[day] = new
        day += timedelta(days=1)

    assert seen == {
        date(2026, 3, 1): [f"reminder:insurance:{insured.pk}:30-days@2026-03-31"],
        date(2026, 3, 24): [f"reminder:insurance:{insured.pk}:7-days@2026-03-31"],
        date(2026, 3, 31): [
            f"reminder:insurance-ended:2026-03-31:to:{kanri.pk}",
            f"reminder:insurance-ended:2026-03-31:to:{english.pk}",
        ],
    }
    first, second = OutboundMessage.objects.filter(to=insured.phone).order_by("pk")
    assert (first.to, first.purpose, first.language) == (insured.phone, "reminder", "ja")
    assert first.related_object == insured
    assert "3/31" in first.body
    assert "027-224-1111" in first.body
    assert second.body != first.body
    to_english = OutboundMessage.objects.get(to=english.phone)
    assert to_english.body == (
        f"Volunteer insurance ends 3/31 (Tue): {insured.full_name} (1 supporter). "
        "http://testserver/admin/supporters/supporter/?insurance=ending"
    )


def test_the_daily_run_repeated_sends_nothing_twice(monday_morning, insured, coordinators):
    monday_morning.move_to(datetime(2026, 3, 1, 9, 0, tzinfo=TOKYO), tick=False)
    send_due_reminders.call()
    send_due_reminders.call()
    monday_morning.move_to(datetime(2026, 3, 1, 15, 0, tzinfo=TOKYO), tick=False)
    send_due_reminders.call()
    assert keys() == [f"reminder:insurance:{insured.pk}:30-days@2026-03-31"]
    for day in (date(2026, 3, 24), date(2026, 3, 24), END_OF_FY2025, END_OF_FY2025):
        on(monday_morning, day)
    assert OutboundMessage.objects.count() == 1 + 1 + 2  # 30 days, 7 days, two coordinators


def test_a_day_missed_is_made_up_by_the_next_run(monday_morning, insured, coordinators):
    on(monday_morning, date(2026, 3, 5))  # the 1 March run never happened
    on(monday_morning, date(2026, 4, 2))  # nor 24 March's nor 31 March's
    assert keys() == sorted(
        [
            f"reminder:insurance:{insured.pk}:30-days@2026-03-31",
            *(f"reminder:insurance-ended:2026-03-31:to:{c.pk}" for c in coordinators),
        ]
    )
    OutboundMessage.objects.all().delete()
    on(monday_morning, date(2026, 4, 7))  # a week after the day: too late to be news
    assert keys() == []


def test_no_reminder_goes_to_a_withdrawn_or_paused_supporter_or_to_a_landline(
    monday_morning, coordinators
):
    factories.supporter(
        insurance_valid_until=END_OF_FY2025, status="withdrawn", withdrawn_on=date(2026, 2, 1)
    )
    factories.supporter(
        insurance_valid_until=END_OF_FY2025, status="paused", paused_on=date(2026, 2, 1)
    )
    factories.supporter(
        insurance_valid_until=END_OF_FY2025,
        user_kwargs={"phone": OTHER_LANDLINE, "phone_verified": True},
    )
    factories.supporter(
        insurance_valid_until=END_OF_FY2025, user_kwargs={"phone": "", "phone_verified": False}
    )
    on(monday_morning, date(2026, 3, 1))
    on(monday_morning, date(2026, 3, 24))
    assert keys() == []
    on(monday_morning, END_OF_FY2025)
    # The coordinators hear of the two active ones, the landline's too: they are the ones to call.
    [to_kanri, _to_sato] = OutboundMessage.objects.order_by("to")
    assert to_kanri.to == coordinators[0].phone
    assert "(2 supporters)" in to_kanri.body or "2人" in to_kanri.body


def test_a_renewed_insurance_is_not_reminded_of_its_old_date(monday_morning, insured, coordinators):
    on(monday_morning, date(2026, 3, 1))
    insured.insurance_valid_until = date(2027, 3, 31)  # renewed for FY2026
    insured.save()
    on(monday_morning, date(2026, 3, 24))
    on(monday_morning, END_OF_FY2025)
    assert keys() == [f"reminder:insurance:{insured.pk}:30-days@2026-03-31"]
    on(monday_morning, date(2027, 3, 1))
    assert keys()[-1] == f"reminder:insurance:{insured.pk}:30-days@2027-03-31"


def test_one_text_per_coordinator_however_many_supporters_and_fixed_queries(
    monday_morning, coordinators, django_assert_max_num_queries
):
    for _ in range(3):
        factories.supporter(insurance_valid_until=END_OF_FY2025)
    monday_morning.move_to(datetime(2026, 3, 31, 9, 0, tzinfo=TOKYO), tick=False)
    with django_assert_max_num_queries(3):
        texts = insurance_reminders(END_OF_FY2025)
    assert len(texts) == 3  # the landline's is the outbox's to drop
    queue_planned_reminders()
    queued = OutboundMessage.objects.order_by("to")
    assert [message.to for message in queued] == [c.phone for c in coordinators]
    assert "(3 supporters)" in queued.get(language="en").body


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_supporters_reminders_fit_one_message(language):
    with translation.override(language):
        day = formats.date_format(date(2026, 12, 30), "SMS_DATE_FORMAT")  # (水), (Wed)
    for template in ("insurance_ends", "insurance_ends_soon"):
        body = render_sms(template, language, date=day, phone="027-224-1111")
        assert count_segments(body) == 1, body
        assert language != "ja" or not body.startswith("Your"), "untranslated"


def test_the_daily_run_is_scheduled_each_morning_once(db, settings, monday_morning):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    assert next_daily_run_at() == datetime(2026, 2, 28, 9, 0, tzinfo=TOKYO)  # 09:00 has passed
    monday_morning.move_to(datetime(2026, 2, 28, 7, 0, tzinfo=TOKYO), tick=False)
    schedule_daily_reminders()
    schedule_daily_reminders()
    [run] = DBTaskResult.objects.filter(task_path=send_due_reminders.module_path)
    assert run.run_after == datetime(2026, 2, 28, 9, 0, tzinfo=TOKYO)


def test_recording_an_insurance_date_in_the_admin_starts_the_daily_run(
    db, settings, insured, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from supporters.insurance import plan_insurance_reminders

    with django_capture_on_commit_callbacks(execute=True):
        plan_insurance_reminders()
    assert DBTaskResult.objects.filter(task_path=send_due_reminders.module_path).count() == 1


# The board ------------------------------------------------------------------------------------


def test_the_board_says_why_a_lapsed_supporter_cannot_take_shifts_and_whom_to_call(
    db, client, monday_morning
):
    lapsed = factories.supporter(insurance_valid_until=date(2026, 2, 26))
    insured = factories.supporter(insurance_valid_until=END_OF_FY2025)
    factories.session(starts_at=datetime(2026, 3, 3, 10, 0, tzinfo=TOKYO))

    client.force_login(insured.user)
    assert "insurance-lapsed" not in client.get(BOARD, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # The same shifts and level: only the insurance tells their kept pages apart.
    client.force_login(lapsed.user)
    html = client.get(BOARD, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Your volunteer insurance ran until Feb. 26, 2026." in html
    assert "you cannot take shifts" in html
    assert 'href="tel:+81272241111">027-224-1111</a>' in html

    none = factories.supporter(insurance_valid_until=None)
    client.force_login(none.user)
    html = client.get(BOARD, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No volunteer insurance is recorded for you." in html


def test_the_board_notices_the_day_the_insurance_lapses(db, client, monday_morning):
    supporter = factories.supporter(insurance_valid_until=date(2026, 2, 27))
    client.force_login(supporter.user)
    assert "insurance-lapsed" not in client.get(BOARD).content.decode()
    monday_morning.move_to(datetime(2026, 2, 28, 0, 1, tzinfo=TOKYO), tick=False)
    settle_public_version()
    assert "insurance-lapsed" in client.get(BOARD).content.decode()


def test_the_coordinators_link_lists_the_insurance_ending(client, coordinator, monday_morning):
    ending = factories.supporter(family_name="赤城", insurance_valid_until=END_OF_FY2025)
    factories.supporter(family_name="榛名", insurance_valid_until=date(2027, 3, 31))
    factories.supporter(family_name="妙義", insurance_valid_until=date(2026, 2, 1))
    monday_morning.move_to(datetime(2026, 3, 31, 9, 0, tzinfo=TOKYO), tick=False)
    client.force_login(coordinator)
    url = reverse("admin:supporters_supporter_changelist") + "?insurance=ending"
    response = client.get(url)
    assert response.status_code == 200, response
    listed = response.context["cl"].result_list
    assert list(listed) == [ending]
