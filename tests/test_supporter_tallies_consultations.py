"""During a help desk the supporters on shift record what residents asked, as statistics: a
few choices per resident, a key per tap so that a double tap or a resend records one, an undo
that keeps who and when, and the figures count what was not undone (issue 11)."""

import json
import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.db import connection, transaction

from config.fiscal import FiscalYear
from consultations.models import Consultation
from consultations.services import (
    TallyError,
    annual_figures,
    record_consultation,
    undo_consultation,
)
from sessions.services import mark_held
from supporters.services import create_api_token
from tests import factories
from tests.clock import JUNE_MONDAY_10AM as MONDAY_10AM

pytestmark = pytest.mark.usefixtures("monday_morning")


@pytest.fixture
def monday_10am():
    return MONDAY_10AM


@pytest.fixture
def desk(db):
    """A help desk that started at 10:00 today, with one supporter on it."""
    session = factories.session(starts_at=MONDAY_10AM)
    session.helper = factories.supporter()
    factories.shift(session=session, supporter=session.helper)
    return session


@pytest.fixture
def line(db):
    return factories.topic(code="line", name="LINE")


def entry(desk, line, **changes):
    fields = {"topic": line, "device": "iphone", "age_band": "70s", "language": "ja"}
    return record_consultation(desk, by=desk.helper.user, **{**fields, **changes})


def test_a_supporter_on_shift_records_a_consultation(desk, line):
    consultation, created = entry(desk, line, minutes=20, resolved=False)

    assert created
    assert (consultation.topic, consultation.device, consultation.age_band) == (
        line,
        "iphone",
        "70s",
    )
    assert (consultation.minutes, consultation.is_resolved) == (20, False)
    assert consultation.recorded_by == desk.helper.user


def test_a_double_tap_with_one_key_records_one(desk, line):
    key = uuid.uuid4()

    first, created = entry(desk, line, key=key)
    again, created_again = entry(desk, line, key=key)

    assert (created, created_again) == (True, False)
    assert first.pk == again.pk
    assert Consultation.objects.count() == 1


def test_a_key_used_at_another_session_is_refused(desk, line):
    key = uuid.uuid4()
    entry(desk, line, key=key)
    other = factories.session(starts_at=MONDAY_10AM + timedelta(minutes=20))
    factories.shift(session=other, supporter=desk.helper)

    with pytest.raises(TallyError) as refusal:
        record_consultation(other, by=desk.helper.user, topic=line, device="iphone", key=key)

    assert refusal.value.code == "invalid"


def test_only_the_sessions_supporters_and_coordinators_record(desk, line, coordinator):
    stranger = factories.supporter()

    with pytest.raises(TallyError) as refusal:
        record_consultation(desk, by=stranger.user, topic=line, device="iphone")

    assert refusal.value.code == "forbidden"
    assert record_consultation(desk, by=coordinator, topic=line, device="android")[1]


def test_the_tally_opens_half_an_hour_before_and_closes_with_the_day(
    desk, line, coordinator, time_machine
):
    time_machine.move_to(MONDAY_10AM - timedelta(minutes=31), tick=False)
    with pytest.raises(TallyError) as early:
        entry(desk, line)
    time_machine.move_to(MONDAY_10AM - timedelta(minutes=29), tick=False)
    assert entry(desk, line)[1]
    time_machine.move_to(MONDAY_10AM + timedelta(days=1), tick=False)
    with pytest.raises(TallyError) as late:
        entry(desk, line)

    assert (early.value.code, late.value.code) == ("too_early", "closed")
    # A coordinator corrects the records later.
    assert record_consultation(desk, by=coordinator, topic=line, device="pc")[1]


def test_bad_choices_are_refused_and_nothing_is_recorded(desk, line):
    line.is_active = False
    line.save()
    for changes in ({}, {"topic": None}):
        with pytest.raises(TallyError):
            entry(desk, line, **changes)
    active = factories.topic(code="photos", name="写真")
    for changes in ({"device": "fax"}, {"age_band": "teen"}, {"language": "xx"}, {"minutes": 0}):
        with pytest.raises(TallyError) as refusal:
            entry(desk, active, **changes)
        assert refusal.value.code == "invalid"
    assert not Consultation.objects.exists()


def test_an_undone_entry_stays_with_who_and_when_but_is_not_counted(desk, line, coordinator):
    kept, _ = entry(desk, line)
    undone, _ = entry(desk, line)

    undo_consultation(undone, by=desk.helper.user)
    undo_consultation(undone, by=coordinator)  # again: nothing changes

    undone.refresh_from_db()
    assert undone.undone_by == desk.helper.user
    assert undone.undone_at is not None
    mark_held(desk, by=coordinator)
    assert annual_figures(FiscalYear.of(MONDAY_10AM.date())).consultations == 1
    assert list(Consultation.objects.counted()) == [kept]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_supporters_recording_at_once_both_count_and_a_resend_race_records_one(
    time_machine,
):
    time_machine.move_to(MONDAY_10AM, tick=False)
    desk = factories.session(starts_at=MONDAY_10AM)
    supporters = [factories.supporter(), factories.supporter()]
    for supporter in supporters:
        factories.shift(session=desk, supporter=supporter)
    line = factories.topic(code="line", name="LINE")
    resent = uuid.uuid4()
    barrier = threading.Barrier(4, timeout=10)
    errors = []

    def tap(supporter, key):
        try:
            barrier.wait()
            record_consultation(desk, by=supporter.user, topic=line, device="iphone", key=key)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    taps = [(supporters[0], None), (supporters[1], None), (supporters[0], resent)]
    taps.append((supporters[0], resent))  # the same tap sent twice at once
    threads = [threading.Thread(target=tap, args=args) for args in taps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Consultation.objects.filter(session=desk).count() == 3


# The API ----------------------------------------------------------------------------------


def bearer(user):
    _token, key = create_api_token(user, "test")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}", "HTTP_ACCEPT_LANGUAGE": "en"}


def test_the_tally_through_the_api(client, desk, line):
    url = f"/api/sessions/{desk.pk}/consultations"
    headers = bearer(desk.helper.user)
    key = str(uuid.uuid4())
    body = {"key": key, "topic": line.pk, "device": "android", "age_band": "80_plus"}

    def post(path, data=None):
        return client.post(path, json.dumps(data or {}), content_type="application/json", **headers)

    first = post(url, body)
    resent = post(url, body)
    second = post(url, {**body, "key": str(uuid.uuid4()), "device": "iphone"})
    undone = post(f"{url}/{second.json()['consultation']['id']}/undo")
    bad = post(url, {**body, "key": None, "device": "fax"})
    stranger = client.get(url, **bearer(factories.supporter().user))

    assert (first.status_code, resent.status_code, second.status_code) == (201, 200, 201)
    assert first.json()["count"] == resent.json()["count"] == 1
    assert first.json()["consultation"]["key"] == resent.json()["consultation"]["key"] == key
    assert undone.json()["count"] == 1
    assert undone.json()["consultation"]["undone"] is True
    listing = client.get(url, **headers).json()["consultations"]
    assert [c["undone"] for c in listing] == [True, False]
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid")
    assert (stranger.status_code, stranger.json()["code"]) == (403, "forbidden")
    assert client.get(url, **headers).json()["count"] == 1


def test_the_tally_call_runs_the_same_queries_for_few_or_many_entries(client, desk, line):
    from django.test.utils import CaptureQueriesContext

    url = f"/api/sessions/{desk.pk}/consultations"
    headers = bearer(desk.helper.user)

    def queries_for(count):
        for _ in range(count):
            entry(desk, line)
        client.get(url, **headers)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, **headers).status_code == 200
        return len(captured)

    assert queries_for(2) == queries_for(20)


def test_a_tap_is_answered_with_the_count_and_its_entry_only(client, desk, line):
    """A supporter's phone on a slow line taps every few minutes: the answer stays small
    however long the session's list has grown."""
    url = f"/api/sessions/{desk.pk}/consultations"
    for _ in range(15):
        entry(desk, line)
    key = str(uuid.uuid4())
    body = {"key": key, "topic": line.pk, "device": "android"}

    answer = client.post(url, body, content_type="application/json", **bearer(desk.helper.user))

    assert set(answer.json()) == {"session_id", "count", "consultation"}
    assert answer.json()["count"] == 16
    assert answer.json()["consultation"]["key"] == key
    assert len(client.get(url, **bearer(desk.helper.user)).json()["consultations"]) == 16


def test_a_tap_runs_two_queries_once_its_session_and_topic_are_kept(
    client, desk, line, django_assert_max_num_queries
):
    """The public content version (which the token, the user, the session with its team and
    the topic are kept under), then the insert with the count in one statement (two on SQLite):
    no transaction, no lookup first."""
    url = f"/api/sessions/{desk.pk}/consultations"
    headers = bearer(desk.helper.user)

    def tap():
        body = {"key": str(uuid.uuid4()), "topic": line.pk, "device": "android"}
        return client.post(url, body, content_type="application/json", **headers)

    assert tap().status_code == 201
    with django_assert_max_num_queries(2 if connection.vendor == "postgresql" else 3):
        assert tap().json()["count"] == 2


def test_the_kept_session_follows_its_team_and_its_cancellation_at_once(
    client, desk, line, coordinator
):
    """The record call reads the session and its team as kept under the public content
    version: a supporter leaving the team, or the session called off, is seen at the next tap."""
    from sessions.models import Shift
    from sessions.services import cancel_session

    url = f"/api/sessions/{desk.pk}/consultations"
    other = factories.supporter()
    shift = factories.shift(session=desk, supporter=other)

    def tap(user):
        body = {"key": str(uuid.uuid4()), "topic": line.pk, "device": "android"}
        return client.post(url, body, content_type="application/json", **bearer(user))

    assert tap(other.user).status_code == 201
    shift.status = Shift.Status.CANCELLED
    shift.save()
    assert tap(other.user).status_code == 403
    assert tap(desk.helper.user).status_code == 201
    cancel_session(desk, by=coordinator)
    refused = tap(desk.helper.user)
    assert (refused.status_code, refused.json()["code"]) == (409, "session_cancelled")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_resend_while_its_tap_is_still_being_recorded_records_one(time_machine, monkeypatch):
    """The race the unique key closes: the tap's insert is made but not committed yet when its
    resend inserts the same key. The database holds the resend until the tap commits (proved
    here: the resend's connection is seen blocked by the tap's); the resend then records
    nothing and answers with the tap's entry, read in a statement of its own, which sees it."""
    from consultations import services

    time_machine.move_to(MONDAY_10AM, tick=False)
    desk = factories.session(starts_at=MONDAY_10AM)
    supporter = factories.supporter()
    factories.shift(session=desk, supporter=supporter)
    line = factories.topic(code="line", name="LINE")
    key = uuid.uuid4()
    tap_inserted, resend_started = threading.Event(), threading.Event()
    resend_pid, blocked, looked, results = [], [], [], {}
    look = services._entry_with
    monkeypatch.setattr(
        services, "_entry_with", lambda entry_key: looked.append(entry_key) or look(entry_key)
    )

    def record():
        return record_consultation(desk, by=supporter.user, topic=line, device="iphone", key=key)

    def tap():
        try:
            with transaction.atomic():  # the tap's insert, left uncommitted for a while
                results["tap"] = record()
                tap_inserted.set()
                resend_started.wait(10)
                with connection.cursor() as cursor:
                    for _ in range(200):  # until the resend waits on this transaction
                        cursor.execute(
                            "SELECT pg_backend_pid() = ANY(pg_blocking_pids(%s))", resend_pid
                        )
                        if cursor.fetchone()[0]:
                            blocked.append(True)
                            break
                        time.sleep(0.05)
        finally:
            connection.close()

    def resend():
        try:
            tap_inserted.wait(10)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                resend_pid.append(cursor.fetchone()[0])
            resend_started.set()
            results["resend"] = record()
        finally:
            connection.close()

    threads = [threading.Thread(target=tap), threading.Thread(target=resend)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert blocked == [True]  # the resend's insert waited for the tap's to commit
    (tap_entry, tap_created), (resent, resend_created) = results["tap"], results["resend"]
    assert (tap_created, resend_created) == (True, False)
    assert resent.pk == tap_entry.pk
    assert looked == [key]  # the resend's insert did nothing: it read the tap's entry after
    assert Consultation.objects.filter(session=desk).count() == 1


# The tally's page ---------------------------------------------------------------------------


def tally_url(session):
    from django.urls import reverse

    return reverse("consultations:tally", args=[session.pk])


def tap(client, desk, line, key=None, **changes):
    data = {
        "topic": line.pk,
        "device": "android",
        "age_band": "60s",
        "language": "ja",
        "resolved": "yes",
        "minutes": "10",
        "key": str(key or uuid.uuid4()),
        **changes,
    }
    return client.post(tally_url(desk), data, follow=True)


@pytest.fixture
def helper_client(client, desk):
    client.force_login(desk.helper.user)
    return client


def test_the_tally_page_is_for_the_sessions_team(client, desk):
    assert client.get(tally_url(desk)).status_code == 302  # to sign in
    client.force_login(factories.supporter().user)
    assert client.get(tally_url(desk)).status_code == 403
    client.force_login(desk.helper.user)
    assert client.get(tally_url(desk)).status_code == 200


def test_a_tap_records_one_and_the_next_tap_starts_from_the_last_choices(helper_client, desk, line):
    key = uuid.uuid4()
    tap(helper_client, desk, line, key=key, device="rakuraku", age_band="80_plus")
    again = tap(helper_client, desk, line, key=key, device="rakuraku", age_band="80_plus")

    assert Consultation.objects.count() == 1
    form = again.context["form"]
    assert (form.initial["device"], form.initial["age_band"]) == ("rakuraku", "80_plus")
    assert form.initial["key"] != key  # the next resident is a new tap
    assert again.context["count"] == 1


def test_a_bad_tap_changes_nothing(helper_client, desk, line):
    response = tap(helper_client, desk, line, device="fax")

    assert response.status_code == 200
    assert response.context["form"].errors["device"]
    assert not Consultation.objects.exists()


def test_undo_takes_back_my_last_entry_only(helper_client, desk, line, coordinator):
    from django.urls import reverse

    record_consultation(desk, by=coordinator, topic=line, device="pc")
    tap(helper_client, desk, line)
    tap(helper_client, desk, line, device="tablet")

    helper_client.post(reverse("consultations:tally_undo", args=[desk.pk]))

    undone = Consultation.objects.exclude(undone_at=None).get()
    assert (undone.device, undone.undone_by) == ("tablet", desk.helper.user)
    assert Consultation.objects.counted().count() == 2


def test_the_tally_page_runs_the_same_queries_for_few_or_many_entries(helper_client, desk, line):
    from django.test.utils import CaptureQueriesContext

    def queries_for(count):
        for _ in range(count):
            entry(desk, line)
        helper_client.get(tally_url(desk))
        with CaptureQueriesContext(connection) as captured:
            assert helper_client.get(tally_url(desk)).status_code == 200
        return len(captured)

    assert queries_for(2) == queries_for(20)


# The lead confirms the count ---------------------------------------------------------------


def test_the_lead_confirms_the_count_and_the_session_is_held(desk, line, coordinator):
    from consultations.models import TallyConfirmation
    from consultations.services import confirm_tally
    from sessions.models import Shift

    lead = factories.supporter()
    factories.shift(session=desk, supporter=lead, role=Shift.Role.LEAD)
    entry(desk, line)
    entry(desk, line)
    with pytest.raises(TallyError) as refusal:
        confirm_tally(desk, by=desk.helper.user)  # a helper, not the lead
    assert refusal.value.code == "forbidden"

    confirm_tally(desk, by=lead.user)
    desk.refresh_from_db()
    first = TallyConfirmation.objects.get()
    record_consultation(desk, by=coordinator, topic=line, device="pc")  # a correction later
    confirm_tally(desk, by=coordinator)

    assert desk.status == "held"
    assert (first.count, first.confirmed_by) == (2, lead.user)
    again = TallyConfirmation.objects.get()
    assert (again.count, again.confirmed_by) == (3, coordinator)


def test_a_tally_is_not_confirmed_before_the_session(line, coordinator, time_machine):
    from consultations.services import confirm_tally

    later = factories.session(starts_at=MONDAY_10AM + timedelta(hours=3))

    with pytest.raises(TallyError) as refusal:
        confirm_tally(later, by=coordinator)

    assert refusal.value.code == "too_early"
    later.refresh_from_db()
    assert later.status == "scheduled"


def test_the_lead_confirms_from_the_page_and_through_the_api(client, desk, line):
    from django.urls import reverse

    from consultations.models import TallyConfirmation
    from sessions.models import Shift

    lead = factories.supporter()
    factories.shift(session=desk, supporter=lead, role=Shift.Role.LEAD)
    entry(desk, line)
    client.force_login(lead.user)
    page = client.get(tally_url(desk)).content.decode()
    assert reverse("consultations:tally_confirm", args=[desk.pk]) in page

    client.post(reverse("consultations:tally_confirm", args=[desk.pk]))
    assert TallyConfirmation.objects.get().count == 1

    confirmed = client.post(f"/api/sessions/{desk.pk}/consultations/confirm", **bearer(lead.user))
    refused = client.post(
        f"/api/sessions/{desk.pk}/consultations/confirm", **bearer(desk.helper.user)
    )
    assert (confirmed.status_code, confirmed.json()["count"]) == (200, 1)
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")


# Residents say how it went -----------------------------------------------------------------


def feedback_url(session):
    from django.urls import reverse

    return reverse("consultations:feedback", args=[session.pk])


def test_a_resident_answers_once_per_phone_and_nothing_identifies_them(client, desk):
    from django.test import Client

    from consultations.models import Feedback
    from consultations.services import feedback_counts

    question = client.get(feedback_url(desk))
    first = client.post(feedback_url(desk), {"answer": "good"})
    again = client.post(feedback_url(desk), {"answer": "lost"})  # the same phone changes nothing
    other_phone = Client(enforce_csrf_checks=True).post(feedback_url(desk), {"answer": "lost"})

    assert question.status_code == 200
    assert "csrftoken" not in question.cookies  # one cached page for everyone
    assert first.status_code == again.status_code == other_phone.status_code == 200
    assert "もういただいています" in again.content.decode()  # Japanese, the default
    assert feedback_counts(desk) == {"good": 1, "ok": 0, "lost": 1}
    stored = Feedback.objects.order_by("pk").first()
    assert client.cookies["digisapo_device"].value not in stored.device  # only a keyed hash
    assert len(stored.device) == 64


def test_feedback_is_refused_for_a_wrong_answer_or_a_cancelled_session(client, desk):
    from consultations.models import Feedback

    bad = client.post(feedback_url(desk), {"answer": "great"})
    cancelled = factories.session(starts_at=MONDAY_10AM, status="cancelled")
    off = client.post(feedback_url(cancelled), {"answer": "good"})

    assert bad.status_code == off.status_code == 409
    assert not Feedback.objects.exists()


def test_the_tally_page_shows_the_residents_answers(helper_client, desk):
    from consultations.services import give_feedback

    give_feedback(desk, "ok", device_id="phone-1")
    give_feedback(desk, "ok", device_id="phone-2")

    page = helper_client.get(tally_url(desk))

    assert page.context["feedback"] == {"good": 0, "ok": 2, "lost": 0}


def test_the_tally_call_counts_the_residents_answers_and_names_no_one(client, desk):
    from consultations.services import give_feedback

    give_feedback(desk, "good", device_id="phone-1")
    give_feedback(desk, "lost", device_id="phone-2")
    give_feedback(desk, "lost", device_id="phone-3")

    answer = client.get(f"/api/sessions/{desk.pk}/consultations", **bearer(desk.helper.user))

    assert answer.json()["feedback"] == {"good": 1, "ok": 0, "lost": 2}
    body = answer.content.decode()
    assert "phone-1" not in body
    assert all(feedback.device not in body for feedback in desk.feedback.all())


# Coordinators correct the records later --------------------------------------------------------


def test_a_coordinator_corrects_a_record_and_the_change_keeps_who_when_and_the_old_values(
    desk, line, coordinator, time_machine
):
    from consultations.models import ConsultationChange
    from consultations.services import correct_consultation

    consultation, _ = entry(desk, line, minutes=15)
    photos = factories.topic(code="photos", name="写真")
    time_machine.move_to(MONDAY_10AM + timedelta(days=3), tick=False)  # days after the session

    correct_consultation(
        consultation,
        {"topic": photos, "minutes": 30, "device": "iphone", "is_resolved": False},
        by=coordinator,
    )

    consultation.refresh_from_db()
    assert (consultation.topic, consultation.minutes, consultation.is_resolved) == (
        photos,
        30,
        False,
    )
    change = ConsultationChange.objects.get()
    assert (change.kind, change.changed_by) == ("edited", coordinator)
    assert change.changed_at == MONDAY_10AM + timedelta(days=3)
    assert change.changes == {  # the device was already iPhone: not a change
        "topic": {"old": line.pk, "new": photos.pk},
        "minutes": {"old": 15, "new": 30},
        "is_resolved": {"old": True, "new": False},
    }
    correct_consultation(consultation, {"minutes": 30}, by=coordinator)  # nothing changes
    assert ConsultationChange.objects.count() == 1


def test_only_a_coordinator_corrects_removes_or_restores(desk, line):
    from consultations.services import (
        correct_consultation,
        remove_consultation,
        restore_consultation,
    )

    consultation, _ = entry(desk, line)
    lead = desk.helper.user
    for correction in (
        lambda: correct_consultation(consultation, {"minutes": 5}, by=lead),
        lambda: remove_consultation(consultation, by=lead),
        lambda: restore_consultation(consultation, by=lead),
    ):
        with pytest.raises(TallyError) as refusal:
            correction()
        assert refusal.value.code == "forbidden"
    consultation.refresh_from_db()
    assert consultation.minutes == 15
    assert not consultation.changes.exists()


def test_a_correction_with_a_value_off_the_lists_changes_nothing(desk, line, coordinator):
    from consultations.services import correct_consultation

    consultation, _ = entry(desk, line)
    retired = factories.topic(code="fax", name="FAX", is_active=False)
    for changes in (
        {"device": "fax"},
        {"age_band": "teen"},
        {"minutes": 0},
        {"language": "xx"},
        {"topic": retired},
        {"recorded_by": coordinator},
    ):
        with pytest.raises(TallyError) as refusal:
            correct_consultation(consultation, changes, by=coordinator)
        assert refusal.value.code == "invalid"
    assert not consultation.changes.exists()


def test_removing_and_restoring_keep_the_history_and_the_figures_follow(
    desk, line, coordinator, time_machine
):
    from consultations.services import remove_consultation, restore_consultation

    consultation, _ = entry(desk, line)
    undo_consultation(consultation, by=desk.helper.user)  # the supporter's undo on the day
    time_machine.move_to(MONDAY_10AM + timedelta(days=10), tick=False)

    restore_consultation(consultation, by=coordinator)
    counted_after_restore = Consultation.objects.counted().count()
    remove_consultation(consultation, by=coordinator)
    remove_consultation(consultation, by=coordinator)  # again: nothing more

    kinds = list(consultation.changes.values_list("kind", "changed_by"))
    assert counted_after_restore == 1
    assert kinds == [("restored", coordinator.pk), ("removed", coordinator.pk)]
    restored = consultation.changes.get(kind="restored")
    assert restored.changes["undone_by"] == {"old": desk.helper.user.pk, "new": None}
    consultation.refresh_from_db()
    assert consultation.undone_by == coordinator
    assert not Consultation.objects.counted().exists()


def test_a_coordinator_adds_a_missing_consultation_days_after_the_session(
    client, desk, line, coordinator, time_machine
):
    time_machine.move_to(MONDAY_10AM + timedelta(days=5), tick=False)
    client.force_login(desk.helper.user)
    late = tap(client, desk, line)
    client.force_login(coordinator)
    added = tap(client, desk, line)

    assert "締め切りました" in late.content.decode()  # the supporter: the tally is closed
    assert Consultation.objects.get().recorded_by == coordinator
    assert added.context["count"] == 1


def test_a_correction_after_confirmation_keeps_it_and_shows_it_was_corrected(
    client, desk, line, coordinator, time_machine
):
    from consultations.models import TallyConfirmation
    from consultations.services import confirm_tally, correct_consultation

    consultation, _ = entry(desk, line)
    entry(desk, line)
    confirm_tally(desk, by=coordinator)
    client.force_login(coordinator)
    before = client.get(records_url(desk))
    time_machine.move_to(MONDAY_10AM + timedelta(days=2), tick=False)

    correct_consultation(consultation, {"device": "android"}, by=coordinator)

    after = client.get(records_url(desk))
    tally_page = client.get(tally_url(desk))
    api = client.get(f"/api/sessions/{desk.pk}/consultations").json()
    assert TallyConfirmation.objects.get().count == 2  # the confirmation stays as it was
    assert (before.context["corrected"], after.context["corrected"]) == (False, True)
    assert "確認後に修正あり" in after.content.decode()
    assert "確認後に修正あり" in tally_page.content.decode()
    assert (api["confirmed_count"], api["corrected_after_confirmation"]) == (2, True)


def records_url(session):
    from django.urls import reverse

    return reverse("consultations:tally_records", args=[session.pk])


def test_the_records_page_is_for_coordinators(client, desk, coordinator):
    assert client.get(records_url(desk)).status_code == 302  # to sign in
    client.force_login(desk.helper.user)  # on the team, but not a coordinator
    assert client.get(records_url(desk)).status_code == 403
    client.force_login(coordinator)
    assert client.get(records_url(desk)).status_code == 200


def test_a_coordinator_corrects_removes_and_restores_from_the_records_page(
    client, desk, line, coordinator
):
    from django.urls import reverse

    consultation, _ = entry(desk, line)
    client.force_login(coordinator)
    args = [desk.pk, consultation.pk]
    form = client.get(reverse("consultations:tally_record_edit", args=args))
    data = {
        "topic": line.pk,
        "device": "tablet",
        "age_band": "80_plus",
        "language": "en",
        "is_resolved": "no",
        "minutes": "25",
    }
    client.post(reverse("consultations:tally_record_edit", args=args), data)
    client.post(reverse("consultations:tally_record_remove", args=args))
    removed = client.get(records_url(desk))
    client.post(reverse("consultations:tally_record_restore", args=args))
    page = client.get(records_url(desk))

    assert form.status_code == 200
    consultation.refresh_from_db()
    assert (consultation.device, consultation.age_band, consultation.language) == (
        "tablet",
        "80_plus",
        "en",
    )
    assert (consultation.is_resolved, consultation.minutes, consultation.undone_at) == (
        False,
        25,
        None,
    )
    assert removed.context["count"] == 0
    assert page.context["count"] == 1
    history = page.context["records"][0].history
    assert [line_["change"].kind for line_ in history] == ["edited", "removed", "restored"]
    fields = {field["name"]: (field["old"], field["new"]) for field in history[0]["fields"]}
    assert fields["device"] == ("iPhone", "タブレット")
    assert fields["minutes"] == ("15", "25")
    text = page.content.decode()
    assert str(coordinator) in text  # who changed it
    assert desk.helper.user.get_full_name() in text  # who recorded it


def test_the_records_page_runs_the_same_queries_for_few_or_many_records(
    client, desk, line, coordinator, django_assert_max_num_queries
):
    from consultations.services import correct_consultation, remove_consultation

    client.force_login(coordinator)

    def queries_for(count):
        for minutes in range(1, count + 1):
            consultation, _ = entry(desk, line)
            correct_consultation(consultation, {"minutes": minutes + 1}, by=coordinator)
            remove_consultation(consultation, by=coordinator)
        client.get(records_url(desk))
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(records_url(desk)).status_code == 200
        return len(captured)

    few = queries_for(2)
    with django_assert_max_num_queries(few):
        assert client.get(records_url(desk)).status_code == 200
    assert queries_for(20) == few


def test_the_tally_page_stays_within_its_queries_however_many_entries(
    helper_client, desk, line, coordinator, django_assert_max_num_queries
):
    from consultations.services import confirm_tally

    for _ in range(3):
        entry(desk, line)
    confirm_tally(desk, by=coordinator)
    helper_client.get(tally_url(desk))
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        helper_client.get(tally_url(desk))
    for _ in range(30):
        entry(desk, line)

    with django_assert_max_num_queries(len(captured)):
        assert helper_client.get(tally_url(desk)).status_code == 200


def test_corrections_through_the_api(client, desk, line, coordinator):
    consultation, _ = entry(desk, line)
    url = f"/api/sessions/{desk.pk}/consultations/{consultation.pk}"
    photos = factories.topic(code="photos", name="写真")
    staff, helper = bearer(coordinator), bearer(desk.helper.user)

    def send(method, path, data=None, headers=staff):
        body = json.dumps(data or {})
        return getattr(client, method)(path, body, content_type="application/json", **headers)

    refused = send("patch", url, {"minutes": 40}, headers=helper)
    corrected = send("patch", url, {"topic": photos.pk, "resolved": False})
    bad = send("patch", url, {"device": "fax"})
    empty = send("patch", url, {"minutes": None})
    removed = send("post", f"{url}/remove")
    not_theirs = send("post", f"{url}/restore", headers=helper)
    restored = send("post", f"{url}/restore")
    history = client.get(f"{url}/history", **staff)
    hidden = client.get(f"{url}/history", **helper)
    elsewhere = client.get(
        f"/api/sessions/{factories.session().pk}/consultations/{consultation.pk}/history", **staff
    )

    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert corrected.status_code == 200
    assert corrected.json()["consultations"][0]["topic"] == photos.pk
    assert corrected.json()["consultations"][0]["resolved"] is False
    assert (bad.status_code, empty.status_code) == (422, 422)
    assert removed.json()["count"] == 0
    assert not_theirs.status_code == 403
    assert restored.json()["count"] == 1
    changes = history.json()["changes"]
    assert [change["kind"] for change in changes] == ["edited", "removed", "restored"]
    assert changes[0]["changes"] == {
        "topic": {"old": line.pk, "new": photos.pk},
        "is_resolved": {"old": True, "new": False},
    }
    assert changes[0]["changed_by"] == str(coordinator)
    assert history.json()["recorded_by"] == str(desk.helper.user)
    assert (hidden.status_code, elsewhere.status_code) == (403, 404)


def test_the_admin_shows_consultations_but_leaves_changes_to_the_services(admin_client, desk, line):
    from django.urls import reverse

    consultation, _ = entry(desk, line)
    change_url = reverse("admin:consultations_consultation_change", args=[consultation.pk])

    page = admin_client.get(change_url)
    admin_client.post(change_url, {"minutes": "99", "device": "pc"})

    assert page.status_code == 200
    assert admin_client.get(reverse("admin:consultations_consultation_add")).status_code == 403
    consultation.refresh_from_db()
    assert (consultation.minutes, consultation.device) == (15, "iphone")


# The feedback QR card ---------------------------------------------------------------------------


def card_url(session):
    from django.urls import reverse

    return reverse("consultations:feedback_card", args=[session.pk])


def test_the_feedback_card_has_the_qr_code_to_the_question_for_the_team_and_coordinators(
    client, desk, coordinator
):
    assert client.get(card_url(desk)).status_code == 302
    client.force_login(factories.supporter().user)
    assert client.get(card_url(desk)).status_code == 403
    client.force_login(coordinator)
    assert client.get(card_url(desk)).status_code == 200
    client.force_login(desk.helper.user)

    card = client.get(card_url(desk))
    desk_card = client.get(card_url(desk) + "?size=a6")

    text = card.content.decode()
    assert card.context["feedback_url"] == f"http://testserver/sessions/{desk.pk}/feedback/"
    assert "<svg" in text
    assert "きょうはいかがでしたか？" in text
    assert "読み取って教えてください" in text
    assert "How did it go today?" in text  # the other language too, smaller
    assert all(face in text for face in ("よかった", "ふつう", "わからなかった"))
    assert "site-header" not in text  # a card to print: no navigation
    assert "feedback-card--a6" in desk_card.content.decode()
    assert card_url(desk) in helper_tally_page(client, desk)


def helper_tally_page(client, desk) -> str:
    return client.get(tally_url(desk)).content.decode()


# Group visits and classes use the same tally ----------------------------------------------------


@pytest.mark.parametrize("kind", ["dispatch", "class"])
def test_a_visit_or_a_class_team_tallies_like_a_help_desk(client, line, kind, time_machine):
    from sessions.models import Session

    starts_at = MONDAY_10AM + timedelta(hours=1)
    if kind == "dispatch":
        session = factories.scheduled_visit(starts_at=starts_at).session
    else:
        session = factories.session(kind=Session.Kind.CLASS, starts_at=starts_at)
    time_machine.move_to(starts_at + timedelta(minutes=10), tick=False)
    member, stranger = factories.supporter(), factories.supporter()
    factories.shift(session=session, supporter=member)
    body = {"key": str(uuid.uuid4()), "topic": line.pk, "device": "android"}
    url = f"/api/sessions/{session.pk}/consultations"

    api = client.post(url, json.dumps(body), content_type="application/json", **bearer(member.user))
    refused = client.post(
        url, json.dumps(body), content_type="application/json", **bearer(stranger.user)
    )
    client.force_login(member.user)
    page = tap(client, session, line)
    client.force_login(stranger.user)

    assert api.status_code == 201
    assert refused.status_code == 403
    assert page.context["count"] == 2
    assert client.get(tally_url(session)).status_code == 403
    assert Consultation.objects.filter(session=session, recorded_by=member.user).count() == 2


@pytest.mark.parametrize("kind", ["dispatch", "class"])
def test_the_team_page_links_the_tally_once_its_window_opens(db, client, kind, time_machine):
    from django.urls import reverse

    from sessions.models import Session

    if kind == "dispatch":
        session = factories.scheduled_visit(starts_at=MONDAY_10AM + timedelta(hours=2)).session
    else:
        session = factories.session(
            kind=Session.Kind.CLASS, starts_at=MONDAY_10AM + timedelta(hours=2)
        )
    member = factories.supporter()
    factories.shift(session=session, supporter=member)
    client.force_login(member.user)
    roster = reverse("helpdesk_sessions:roster", args=[session.pk])

    before = client.get(roster).content.decode()
    time_machine.move_to(MONDAY_10AM + timedelta(hours=1, minutes=31), tick=False)
    during = client.get(roster).content.decode()
    time_machine.move_to(MONDAY_10AM + timedelta(days=2), tick=False)
    after = client.get(roster).content.decode()

    assert tally_url(session) not in before
    assert tally_url(session) in during
    assert tally_url(session) in after


def test_the_coordinators_roster_links_the_tally_and_the_records_once_open(
    client, coordinator, time_machine
):
    from django.urls import reverse

    visit = factories.scheduled_visit(starts_at=MONDAY_10AM + timedelta(hours=2)).session
    client.force_login(coordinator)
    roster = reverse("helpdesk_sessions:roster", args=[visit.pk])

    before = client.get(roster).content.decode()
    time_machine.move_to(MONDAY_10AM + timedelta(hours=3), tick=False)
    during = client.get(roster).content.decode()

    assert tally_url(visit) not in before
    assert tally_url(visit) in during
    assert records_url(visit) in during
