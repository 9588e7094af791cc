"""A group of residents asks for a visit (issue 10): the form, the confirmation, the status page,
the coordinators' phone and paper entry, and the public API, each with every rule."""

import json
import threading
from datetime import date, datetime

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from config.fiscal import TOKYO
from config.public_pages import public_version
from notifications.models import OutboundMessage
from sessions.models import DispatchRequest, RequestEvent
from sessions.services import IntakeError, submit_request
from tests import factories
from tests.csrf import assert_forms_carry_the_visitors_token

NOW = datetime(2026, 5, 12, 9, 0, tzinfo=TOKYO)  # a Tuesday
GOOD_DAY = date(2026, 6, 2)  # three weeks ahead, a Tuesday
TOO_SOON = date(2026, 5, 20)  # eight days ahead
MARINE_DAY = date(2026, 7, 20)  # a national holiday
FORM = "helpdesk_sessions:request"

pytestmark = pytest.mark.usefixtures("in_english")


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def district(db):
    return factories.district(code="test-district", name="テスト地区")


@pytest.fixture
def line(db):
    return factories.topic(code="line", name="LINE")


def form_data(**changes):
    data = {
        "group_name": "大手町いきいきサロン",
        "representative_name": "群馬 花子",
        "representative_kana": "ぐんま はなこ",
        "representative_phone": "090-1234-5678",
        "representative_email": "",
        "residents_count": "6",
        "place_name": "大手町自治会館",
        "address": "前橋市大手町1-1-1",
        "district": "",
        "preferred_date_1": GOOD_DAY.isoformat(),
        "preferred_date_2": "",
        "preferred_date_3": "",
        "preferred_time": "morning",
        "devices": ["android", "rakuraku"],
        "wifi": "no",
        "preferred_language": "ja",
        "message": "写真の送り方を知りたいです",
        "consent": "on",
        "website": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def api_data(**changes):
    data = {
        "group_name": "大手町いきいきサロン",
        "representative_name": "群馬 花子",
        "representative_kana": "ぐんま はなこ",
        "representative_phone": "090-1234-5678",
        "representative_email": "hanako@example.jp",
        "residents_count": 6,
        "preferred_dates": [GOOD_DAY.isoformat()],
        "preferred_time": "either",
        "place_name": "大手町自治会館",
        "address": "前橋市大手町1-1-1",
        "district": None,
        "topics": [],
        "devices": ["iphone"],
        "wifi": "yes",
        "preferred_language": "ja",
        "message": "",
        "consent": True,
    }
    data.update(changes)
    return data


def post_api(client, data, url="/api/dispatch-requests"):
    return client.post(url, json.dumps(data), content_type="application/json")


def sent_url(made):
    return reverse("helpdesk_sessions:request_sent", args=[made.status_token])


def errors_of(response, field):
    return [str(error) for error in response.context["form"].errors.get(field, [])]


def texts_to(phone):
    return list(OutboundMessage.objects.filter(to=phone))


# The pages


def test_the_visits_page_explains_the_programme_and_links_to_the_form(client, db):
    page = client.get(reverse("helpdesk_sessions:visits")).content.decode()

    assert "free of charge" in page
    assert "What happens after you ask" in page
    assert f'href="{reverse(FORM)}"' in page


def test_the_home_page_button_goes_straight_to_the_form(client, db):
    page = client.get(reverse("home")).content.decode()

    assert f'<a class="button" href="{reverse(FORM)}">Request a group visit</a>' in page


def test_the_form_explains_the_three_or_more_rule_and_the_retention_before_refusing(
    client, district, line
):
    response = client.get(reverse(FORM))

    page = response.content.decode()
    assert "3 or more residents" in page
    assert "deleted 180 days after the visit" in page
    assert 'type="date"' in page
    assert "LINE" in page
    assert "テスト地区" in page
    assert "Leave this field empty" in page
    assert 'name="channel"' not in page  # only coordinators say how a request came
    # Anonymous: no token and no cookie, so the page is the same for everyone (views.py).
    assert "csrfmiddlewaretoken" not in page
    assert "csrftoken" not in response.cookies


def test_the_form_page_costs_a_fixed_number_of_queries(client, db, django_assert_max_num_queries):
    for n in range(10):
        factories.district(code=f"d{n}")
        factories.topic(code=f"t{n}")
    public_version()

    # The public content version, the districts, the topics (a miss: the data changed).
    with django_assert_max_num_queries(3):
        assert client.get(reverse(FORM)).status_code == 200
    with django_assert_max_num_queries(1):  # seen before: from the cache
        again = client.get(reverse(FORM))
    assert "csrftoken" not in again.cookies


def test_an_anonymous_request_needs_no_token_but_a_signed_in_one_does(db, district, line):
    from django.test import Client

    anonymous = Client(enforce_csrf_checks=True)
    sent = anonymous.post(reverse(FORM), form_data())
    assert sent.status_code == 302

    coordinator = Client(enforce_csrf_checks=True)
    coordinator.force_login(factories.coordinator())
    forged = coordinator.post(reverse(FORM), form_data(channel="phone", group_name="別の会"))
    page = coordinator.get(reverse(FORM))
    assert forged.status_code == 403
    assert_forms_carry_the_visitors_token(page)
    assert DispatchRequest.objects.count() == 1


def test_a_request_is_made_and_the_confirmation_shows_the_reference_to_read_out(
    client, district, line
):
    response = client.post(
        reverse(FORM), form_data(district=str(district.pk), topics=[str(line.pk)])
    )

    made = DispatchRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == sent_url(made)
    assert made.representative_phone == "+819012345678"
    assert (made.residents_count, made.preferred_date_1) == (6, GOOD_DAY)
    assert made.preferred_time == "morning"
    assert (made.district, list(made.topics.all())) == (district, [line])
    assert made.devices == ["android", "rakuraku"]
    assert (made.channel, made.entered_by, made.consent_at) == ("web", None, NOW)
    assert made.events.get().kind == RequestEvent.Kind.RECEIVED
    page = client.get(response["Location"]).content.decode()
    assert "".join(f"<span>{character}</span>" for character in made.reference) in page
    assert "What happens next" in page
    assert "window.print()" in page
    assert f"/visits/status/{made.status_token}/" in page


def test_a_mobile_gets_one_text_with_the_reference_and_the_status_link_on_its_own_line(
    client, db, settings
):
    client.post(reverse(FORM), form_data())

    made = DispatchRequest.objects.get()
    (text,) = texts_to("+819012345678")
    *words, link = text.body.split("\n")
    assert made.reference in words[0]
    assert link == f"{settings.PUBLIC_URL}/visits/status/{made.status_token}/"
    assert link.startswith("http")
    assert made.call_back == ""


def test_a_landline_gets_no_text_and_shows_a_call_back_for_the_coordinators(client, db):
    client.post(reverse(FORM), form_data(representative_phone="027-224-1111"))

    made = DispatchRequest.objects.get()
    assert made.representative_phone == "+81272241111"
    assert OutboundMessage.objects.count() == 0
    assert made.reference in made.call_back
    assert made.call_back_since == NOW


def test_a_phone_number_in_full_width_digits_is_normalised(client, db):
    client.post(reverse(FORM), form_data(representative_phone="＋８１ ９０－１２３４－５６７８"))

    assert DispatchRequest.objects.get().representative_phone == "+819012345678"


def test_two_residents_are_refused_with_the_message_next_to_the_field_and_nothing_saved(client, db):
    response = client.post(reverse(FORM), form_data(residents_count="2"))

    assert response.status_code == 200
    assert errors_of(response, "residents_count") == [
        "A group visit is for 3 or more residents. For fewer people, please come to a help desk."
    ]
    assert "Nothing has been sent yet" in response.content.decode()
    assert DispatchRequest.objects.count() == 0
    assert OutboundMessage.objects.count() == 0


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (TOO_SOON, "Please choose a date from"),
        (MARINE_DAY, "Public halls are closed on this day"),
        (date(2026, 12, 30), "Public halls are closed on this day"),
    ],
)
def test_a_date_too_soon_or_on_a_closed_day_is_refused_next_to_it(client, db, day, message):
    response = client.post(reverse(FORM), form_data(preferred_date_2=day.isoformat()))

    (error,) = errors_of(response, "preferred_date_2")
    assert error.startswith(message)
    assert errors_of(response, "preferred_date_1") == []
    assert DispatchRequest.objects.count() == 0


def test_a_date_on_a_city_wide_closure_is_refused_but_not_one_of_a_venue_only(client, db):
    factories.closure(starts_on=GOOD_DAY, reason="選挙")
    factories.closure(starts_on=date(2026, 6, 3), venue=factories.venue())

    refused = client.post(reverse(FORM), form_data())
    assert errors_of(refused, "preferred_date_1") == [
        "Public halls are closed on this day. Please choose another."
    ]
    client.post(reverse(FORM), form_data(preferred_date_1="2026-06-03"))
    assert DispatchRequest.objects.get().preferred_date_1 == date(2026, 6, 3)


def test_the_same_date_twice_is_refused(client, db):
    response = client.post(reverse(FORM), form_data(preferred_date_3=GOOD_DAY.isoformat()))

    assert errors_of(response, "preferred_date_3") == ["This date is already given above."]


def test_the_second_and_third_dates_are_kept_in_order(client, db):
    client.post(
        reverse(FORM), form_data(preferred_date_3="2026-06-09", preferred_date_2="2026-06-05")
    )

    made = DispatchRequest.objects.get()
    assert made.preferred_dates == [GOOD_DAY, date(2026, 6, 5), date(2026, 6, 9)]


def test_consent_is_required(client, db):
    response = client.post(reverse(FORM), form_data(consent=None))

    assert errors_of(response, "consent") == [
        "Please agree to how we handle your details, or call the city."
    ]
    assert DispatchRequest.objects.count() == 0


def test_a_double_submit_makes_one_request_and_one_text(client, db):
    first = client.post(reverse(FORM), form_data())
    second = client.post(reverse(FORM), form_data(representative_phone="09012345678"))

    made = DispatchRequest.objects.get()
    assert first["Location"] == second["Location"]
    assert made.events.count() == 1
    assert len(texts_to("+819012345678")) == 1


def test_a_filled_honeypot_pretends_success_and_keeps_nothing(client, db):
    response = client.post(reverse(FORM), form_data(website="http://spam.example"))

    assert response.status_code == 200
    assert "We received your request" in response.content.decode()
    assert DispatchRequest.objects.count() == 0
    assert OutboundMessage.objects.count() == 0


def test_a_network_sending_too_many_requests_is_told_to_wait(client, db, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "dispatch_request": "2/h/ip"}
    for n in range(2):
        client.post(reverse(FORM), form_data(group_name=f"group {n}"))
    refused = client.post(reverse(FORM), form_data(group_name="group 3"))

    assert refused.status_code == 429
    assert "try again in an hour" in refused.content.decode()
    assert DispatchRequest.objects.count() == 2


def test_a_refused_request_does_not_count_against_the_network(client, db, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "dispatch_request": "1/h/ip"}
    client.post(reverse(FORM), form_data(residents_count="2"))
    client.post(reverse(FORM), form_data())

    assert DispatchRequest.objects.count() == 1


# Coordinators enter requests taken by phone or on paper


def test_a_coordinator_enters_a_phoned_in_request_with_the_channel(coordinator_client, coordinator):
    form = coordinator_client.get(reverse(FORM)).content.decode()
    assert 'name="channel"' in form
    assert "read the text on the handling of personal details out" in form

    response = coordinator_client.post(
        reverse(FORM), form_data(channel="phone", representative_phone="027-224-1111")
    )

    made = DispatchRequest.objects.get()
    assert response["Location"] == sent_url(made)
    assert (made.channel, made.entered_by) == ("phone", coordinator)
    assert made.events.get().by == coordinator
    # Read out on the call: no call-back waits for a landline.
    assert made.call_back == ""


def test_a_paper_request_from_a_landline_leaves_a_call_back(coordinator_client):
    coordinator_client.post(
        reverse(FORM), form_data(channel="paper", representative_phone="027-224-1111")
    )

    made = DispatchRequest.objects.get()
    assert made.channel == "paper"
    assert made.reference in made.call_back


def test_a_coordinator_must_tick_the_consent_read_out(coordinator_client):
    response = coordinator_client.post(reverse(FORM), form_data(channel="phone", consent=None))

    assert errors_of(response, "consent")
    assert DispatchRequest.objects.count() == 0


def test_coordinators_are_not_rate_limited(coordinator_client, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "dispatch_request": "1/h/ip"}
    for n in range(3):
        coordinator_client.post(reverse(FORM), form_data(channel="phone", group_name=f"g{n}"))

    assert DispatchRequest.objects.count() == 3


def test_the_service_refuses_a_channel_other_than_the_web_without_a_coordinator(db):
    data = {**api_data(), "preferred_dates": [GOOD_DAY]}
    with pytest.raises(IntakeError) as refused:
        submit_request(data, channel="phone")

    assert list(refused.value.details) == ["channel"]


# The status page


def status_url(made):
    return reverse("helpdesk_sessions:request_status", args=[made.status_token])


def test_the_status_page_shows_the_status_dates_and_a_masked_phone(client, db):
    made = factories.dispatch_request(representative_phone="+819012345678")

    page = client.get(status_url(made)).content.decode()

    assert made.reference[0] in page
    assert "We have received your request" in page
    assert "June 2, 2026" in page
    assert "***-****-5678" in page
    assert "1234" not in page
    assert reverse("helpdesk_sessions:request_cancel", args=[made.status_token]) in page


def test_the_status_page_shows_the_visit_once_scheduled(client, db):
    made = factories.scheduled_visit(
        starts_at=datetime(2026, 6, 2, 10, 0, tzinfo=TOKYO), place_name="大手町自治会館"
    )

    page = client.get(status_url(made)).content.decode()

    assert "Your visit is booked" in page
    assert "大手町自治会館" in page
    assert "10:00" in page


def test_the_status_page_costs_a_fixed_number_of_queries(client, db, django_assert_max_num_queries):
    made = factories.scheduled_visit()
    public_version()

    with django_assert_max_num_queries(2):  # the version, the request with its session
        assert client.get(status_url(made)).status_code == 200
    with django_assert_max_num_queries(1):
        assert client.get(status_url(made)).status_code == 200


def test_an_unknown_token_is_a_plain_404(client, db):
    assert client.get(reverse("helpdesk_sessions:request_status", args=["nope"])).status_code == 404
    assert client.get(reverse("helpdesk_sessions:request_cancel", args=["nope"])).status_code == 404


def test_the_representative_cancels_after_a_confirmation_step(client, db):
    made = factories.dispatch_request()
    cancel = reverse("helpdesk_sessions:request_cancel", args=[made.status_token])

    question = client.get(cancel)
    assert "Yes, cancel the request" in question.content.decode()
    assert_forms_carry_the_visitors_token(question)
    made.refresh_from_db()
    assert made.status == "received"

    response = client.post(cancel, follow=True)

    made.refresh_from_db()
    assert made.status == "cancelled"
    page = response.content.decode()
    assert "Your request is cancelled" in page
    assert "This request is cancelled." in page
    assert cancel not in page


# The API


def test_the_api_makes_a_request_201_then_the_same_one_200(client, db, line, settings):
    created = post_api(client, api_data(topics=[line.pk]))
    again = post_api(client, api_data(topics=[line.pk]))

    made = DispatchRequest.objects.get()
    assert created.status_code == 201
    assert created.json() == {
        "reference": made.reference,
        "status": "received",
        "status_url": f"{settings.PUBLIC_URL}/visits/status/{made.status_token}/",
    }
    assert (again.status_code, again.json()["reference"]) == (200, made.reference)
    assert made.representative_email == "hanako@example.jp"
    assert list(made.topics.all()) == [line]


def test_the_api_names_every_offending_field_in_details(client, db):
    response = post_api(
        client,
        api_data(
            residents_count=2,
            preferred_dates=[TOO_SOON.isoformat(), MARINE_DAY.isoformat()],
            representative_phone="12",
            topics=[999],
            district=999,
            consent=False,
        ),
    )

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert {detail["field"] for detail in body["details"]} == {
        "residents_count",
        "preferred_dates.0",
        "preferred_dates.1",
        "representative_phone",
        "topics",
        "district",
        "consent",
    }
    assert DispatchRequest.objects.count() == 0


def test_the_api_refuses_more_than_three_dates_and_none(client, db):
    days = ["2026-06-02", "2026-06-03", "2026-06-04", "2026-06-05"]
    for dates in ([], days):
        response = post_api(client, api_data(preferred_dates=dates))
        assert response.status_code == 422
        assert [detail["field"] for detail in response.json()["details"]] == ["preferred_dates"]


def test_the_api_refuses_a_bad_type_with_details(client, db):
    response = post_api(client, api_data(preferred_time="evening", residents_count="many"))

    assert response.status_code == 422
    assert {detail["field"] for detail in response.json()["details"]} == {
        "preferred_time",
        "residents_count",
    }


def test_the_api_is_rate_limited_per_network(client, db, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "dispatch_request": "1/h/ip"}
    assert post_api(client, api_data()).status_code == 201

    refused = post_api(client, api_data(group_name="another"))

    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert refused.json()["message"]


def test_the_api_shows_the_status_and_cancels(client, db):
    made = factories.scheduled_visit(starts_at=datetime(2026, 6, 2, 13, 30, tzinfo=TOKYO))
    url = f"/api/dispatch-requests/status/{made.status_token}"

    shown = client.get(url).json()
    assert set(shown) == {
        "reference",
        "status",
        "status_label",
        "preferred_dates",
        "preferred_time",
        "starts_at",
        "ends_at",
        "place",
        "can_cancel",
    }
    assert (shown["status"], shown["status_label"], shown["can_cancel"]) == (
        "scheduled",
        "Scheduled",
        True,
    )
    assert shown["starts_at"] == "2026-06-02T13:30:00+09:00"

    cancelled = client.post(f"{url}/cancel")

    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["can_cancel"]) == ("cancelled", False)
    assert client.get("/api/dispatch-requests/status/nope").status_code == 404


def test_a_done_request_cannot_be_cancelled_from_the_api(client, db):
    made = factories.dispatch_request(status="declined")

    refused = client.post(f"/api/dispatch-requests/status/{made.status_token}/cancel")

    assert (refused.status_code, refused.json()["code"]) == (409, "not_open")


# Two taps at once


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_submissions_at_once_make_one_request():
    data = {**api_data(), "preferred_dates": [GOOD_DAY]}
    barrier = threading.Barrier(2)
    results = []

    def submit():
        try:
            barrier.wait()
            results.append(submit_request(data)[1])
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False, True]
    assert DispatchRequest.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_submissions_that_both_find_nothing_waiting_still_make_one(monkeypatch):
    """The race the constraint closes: both submissions look for the request first, both find
    none (held at a barrier until each has looked), and both insert; the unique fingerprint
    refuses the second insert, and the second submission answers with the first request."""
    from sessions.services import intake

    data = {**api_data(), "preferred_dates": [GOOD_DAY]}
    both_looked = threading.Barrier(2, timeout=10)
    look = intake._waiting_with
    seen = []

    def look_then_wait(fingerprint):
        found = look(fingerprint)
        if len(seen) < 2:
            seen.append(found)
            both_looked.wait()
        return found

    monkeypatch.setattr(intake, "_waiting_with", look_then_wait)
    results = []

    def submit():
        try:
            results.append(submit_request(data))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert seen == [None, None]  # neither saw the other's request: both went on to insert
    assert sorted(created for _request, created in results) == [False, True]
    assert len({request.pk for request, _created in results}) == 1
    assert DispatchRequest.objects.count() == 1
