"""During a help desk the supporters on shift record what residents asked, as statistics: a
few choices per resident, a key per tap so that a double tap or a resend records one, an undo
that keeps who and when, and the figures count what was not undone (issue 11)."""

import json
import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connection

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
    undone = post(f"{url}/{second.json()['consultations'][0]['id']}/undo")
    bad = post(url, {**body, "key": None, "device": "fax"})
    stranger = client.get(url, **bearer(factories.supporter().user))

    assert (first.status_code, resent.status_code, second.status_code) == (201, 200, 201)
    assert first.json()["count"] == resent.json()["count"] == 1
    assert first.json()["consultations"][0]["key"] == key
    assert undone.json()["count"] == 1
    assert [c["undone"] for c in undone.json()["consultations"]] == [True, False]
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


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_resend_that_finds_nothing_yet_still_records_one(time_machine, monkeypatch):
    """The race the unique key closes: the tap and its resend both look for the entry, both
    find none (held at a barrier until each has looked), and both insert; the constraint
    refuses the second, which answers with the first."""
    from consultations import services

    time_machine.move_to(MONDAY_10AM, tick=False)
    desk = factories.session(starts_at=MONDAY_10AM)
    supporter = factories.supporter()
    factories.shift(session=desk, supporter=supporter)
    line = factories.topic(code="line", name="LINE")
    key = uuid.uuid4()
    both_looked = threading.Barrier(2, timeout=10)
    look = services._entry_with
    seen, results = [], []

    def look_then_wait(entry_key):
        found = look(entry_key)
        if len(seen) < 2:
            seen.append(found)
            both_looked.wait()
        return found

    monkeypatch.setattr(services, "_entry_with", look_then_wait)

    def tap():
        try:
            results.append(
                record_consultation(desk, by=supporter.user, topic=line, device="iphone", key=key)
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=tap) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert seen == [None, None]  # neither saw the other's entry: both went on to insert
    assert sorted(created for _entry, created in results) == [False, True]
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
