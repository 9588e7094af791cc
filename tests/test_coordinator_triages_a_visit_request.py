"""A coordinator works through group-visit requests on their own pages (not the admin): the
list by status with ageing and filters, a request's page, accepting, asking back, declining,
scheduling (which makes the visit's session in one step), moving, cancelling, calling back a
landline; every view of the contact details is recorded, and the details go on schedule."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from notifications.models import OutboundMessage
from sessions.models import (
    ContactAccess,
    DispatchInvitation,
    DispatchRequest,
    RequestEvent,
    Session,
)
from sessions.services import (
    RequestError,
    accept_request,
    cancel_request,
    complete_request,
    decline_request,
    purge_due,
    reschedule_request,
    schedule_request,
)
from tests import factories
from tests.clock import JUNE_MONDAY_10AM as MONDAY_10AM
from tests.pages import parse, unlabelled_fields

pytestmark = pytest.mark.usefixtures("monday_morning", "in_english")

LANDLINE = "+81272241111"  # 027-224-1111, the city hall's number: a fixed line


@pytest.fixture
def monday_10am():
    return MONDAY_10AM


def list_url(**query):
    return reverse("helpdesk_sessions:requests")


def detail_url(request):
    return reverse("helpdesk_sessions:request_detail", args=[request.pk])


def act(client, request, action, **data):
    url = reverse("helpdesk_sessions:change_request", args=[request.pk, action])
    return client.post(url, data, follow=True)


def texts_to(phone):
    """The texts queued to `phone` now (not the reminders for later)."""
    texts = OutboundMessage.objects.filter(to=phone).exclude(
        purpose=OutboundMessage.Purpose.REMINDER
    )
    return list(texts.values_list("body", flat=True))


def schedule_data(request, **overrides):
    return {
        "day": request.preferred_date_1.isoformat(),
        "starts": "13:30",
        "ends": "15:30",
        "place_name": request.place_name,
        "address": request.address,
        "supporters_needed": "2",
        **overrides,
    }


def test_the_requests_pages_are_the_coordinators_only(client, supporter):
    request = factories.dispatch_request()
    assert client.get(list_url()).status_code == 302  # to sign in
    client.force_login(supporter.user)
    assert client.get(list_url()).status_code == 403
    assert client.get(detail_url(request)).status_code == 403
    assert act(client, request, "accept").status_code == 403
    request.refresh_from_db()
    assert request.status == "received"
    assert not ContactAccess.objects.exists()


def test_the_list_shows_open_requests_the_longest_waiting_first_with_their_age(
    coordinator_client, time_machine
):
    old = factories.dispatch_request(group_name="岩神サロン")
    time_machine.move_to(MONDAY_10AM + timedelta(days=9), tick=False)
    new = factories.dispatch_request(group_name="若宮の会")
    done = factories.dispatch_request(group_name="終わった会")
    DispatchRequest.objects.filter(pk=done.pk).update(status="declined")

    response = coordinator_client.get(list_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert html.index(old.reference) < html.index(new.reference)
    assert done.reference not in html
    assert "waiting 9 days" in html
    assert "waiting 0 days" in html
    assert unlabelled_fields(parse(response)) == []


def test_the_list_filters_by_status_district_channel_and_month(coordinator_client):
    east = factories.district(code="azuma")
    phoned = factories.dispatch_request(
        district=east, channel="phone", preferred_date_1=date(2026, 7, 10)
    )
    other = factories.dispatch_request(preferred_date_1=date(2026, 8, 10))

    def shown(**query):
        page = coordinator_client.get(list_url(), query).context["page"]
        return [request.pk for request in page]

    assert shown(district=east.pk) == [phoned.pk]
    assert shown(channel="phone") == [phoned.pk]
    assert shown(month="2026-08") == [other.pk]
    assert shown(status="declined") == []
    assert sorted(shown(status="all")) == sorted([phoned.pk, other.pk])


def test_the_list_runs_the_same_queries_for_3_or_30_requests(
    coordinator_client, django_assert_max_num_queries
):
    def queries_for(count):
        for _ in range(count):
            factories.scheduled_visit()
            factories.dispatch_request(channel="paper")
        coordinator_client.get(list_url())  # the signed-in user kept
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert coordinator_client.get(list_url()).status_code == 200
        return len(captured)

    few = queries_for(3)
    many = queries_for(27)
    assert few == many
    with django_assert_max_num_queries(few):
        coordinator_client.get(list_url())


def test_the_request_page_shows_everything_and_records_who_saw_the_contact(
    coordinator_client, coordinator
):
    topic = factories.topic(name="LINE")
    request = factories.dispatch_request(
        representative_kana="ぐんま たろう", devices=["iphone", "none"], message="写真も"
    )
    request.topics.add(topic)

    response = coordinator_client.get(detail_url(request))

    html = response.content.decode()
    assert response.status_code == 200
    for shown in ("群馬 太郎", "ぐんま たろう", "LINE", "iPhone", "No smartphone yet", "写真も"):
        assert shown in html
    assert f'href="tel:{request.representative_phone}"' in html
    access = ContactAccess.objects.get()
    assert (access.request, access.user, access.where) == (request, coordinator, "page")
    assert unlabelled_fields(parse(response)) == []


def test_accepting_tells_the_group_and_records_who(coordinator_client, coordinator):
    request = factories.dispatch_request()

    response = act(coordinator_client, request, "accept")

    request.refresh_from_db()
    assert response.status_code == 200
    assert (request.status, request.handled_by) == ("accepted", coordinator)
    assert [e.kind for e in request.events.all()] == ["accepted"]
    assert request.events.get().by == coordinator
    [text] = texts_to(request.representative_phone)
    assert request.reference in text


def test_a_landline_gets_a_call_back_task_instead_of_a_text(coordinator_client, coordinator):
    request = factories.dispatch_request(representative_phone=LANDLINE)

    act(coordinator_client, request, "decline", text="市外のため")

    request.refresh_from_db()
    assert request.status == "declined"
    assert texts_to(LANDLINE) == []
    assert "市外のため" in request.call_back
    page = coordinator_client.get(detail_url(request)).content.decode()
    assert "Call back" in page
    assert "landline" in page

    act(coordinator_client, request, "called")

    request.refresh_from_db()
    assert (request.call_back, request.call_back_since) == ("", None)
    assert request.events.last().kind == RequestEvent.Kind.CALLED


def test_declining_tells_the_group_why(coordinator_client):
    request = factories.dispatch_request()

    act(coordinator_client, request, "decline", text="その日は全員が出払っています")

    [text] = texts_to(request.representative_phone)
    assert "その日は全員が出払っています" in text


def test_asking_back_needs_a_question_and_keeps_the_request_where_it_is(coordinator_client):
    request = factories.dispatch_request()

    refused = act(coordinator_client, request, "ask", text=" ")
    asked = act(coordinator_client, request, "ask", text="会場に駐車場はありますか？")

    request.refresh_from_db()
    assert "Write the question" in refused.content.decode()
    assert "on its way" in asked.content.decode()
    assert request.status == "received"
    [text] = texts_to(request.representative_phone)
    assert "会場に駐車場はありますか？" in text


def test_scheduling_makes_the_visit_session_and_puts_it_on_the_board(coordinator_client, supporter):
    east = factories.district(code="azuma")
    request = factories.dispatch_request(residents_count=9, district=east)

    response = act(coordinator_client, request, "schedule", **schedule_data(request))

    request.refresh_from_db()
    session = request.session
    assert response.status_code == 200
    assert request.status == "scheduled"
    assert (session.kind, session.place_name, session.district) == (
        Session.Kind.DISPATCH,
        request.place_name,
        east,
    )
    local = timezone.localtime(session.starts_at)
    assert (local.date(), local.hour, local.minute) == (request.preferred_date_1, 13, 30)
    assert session.supporters_needed == 2
    [text] = texts_to(request.representative_phone)
    assert request.reference in text
    supporter_client = Client()
    supporter_client.force_login(supporter.user)
    day = request.preferred_date_1.isoformat()
    board = supporter_client.get(
        reverse("helpdesk_sessions:board"), {"kind": "dispatch", "date_from": day, "date_to": day}
    )
    assert request.place_name in board.content.decode()


def test_the_schedule_form_suggests_one_supporter_per_four_residents(coordinator_client):
    request = factories.dispatch_request(residents_count=13, preferred_time="morning")

    form = coordinator_client.get(detail_url(request)).context["schedule_form"]

    assert form.initial["supporters_needed"] == 4
    assert form.initial["starts"] == "10:00"


def test_scheduling_refuses_a_bad_date_or_time_and_changes_nothing(coordinator_client):
    request = factories.dispatch_request()

    no_other = act(coordinator_client, request, "schedule", **schedule_data(request, day="other"))
    backwards = act(coordinator_client, request, "schedule", **schedule_data(request, ends="12:00"))
    past = act(
        coordinator_client,
        request,
        "schedule",
        **schedule_data(request, day="other", other_day="2026-05-01"),
    )

    assert no_other.status_code == backwards.status_code == past.status_code == 422
    assert "Give the other date." in no_other.content.decode()
    assert "must end after it starts" in backwards.content.decode()
    assert "still to come" in past.content.decode()
    request.refresh_from_db()
    assert (request.status, request.session) == ("received", None)
    assert not Session.objects.exists()


def test_another_date_can_be_chosen(coordinator_client):
    request = factories.dispatch_request()

    act(
        coordinator_client,
        request,
        "schedule",
        **schedule_data(request, day="other", other_day="2026-07-30"),
    )

    request.refresh_from_db()
    assert timezone.localdate(request.session.starts_at) == date(2026, 7, 30)


def test_a_scheduled_request_cannot_be_scheduled_again(coordinator):
    request = factories.scheduled_visit()
    starts_at = request.session.starts_at + timedelta(days=1)

    with pytest.raises(RequestError) as refusal:
        schedule_request(
            request,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
            supporters_needed=2,
            by=coordinator,
        )

    assert refusal.value.code == "not_open"
    assert Session.objects.count() == 1


def test_moving_a_visit_tells_the_group_its_supporters_and_those_invited(
    coordinator_client, supporter
):
    request = factories.scheduled_visit()
    factories.shift(session=request.session, supporter=supporter)
    invited = factories.supporter()
    DispatchInvitation.objects.create(session=request.session, supporter=invited)
    OutboundMessage.objects.all().delete()

    act(coordinator_client, request, "reschedule", day="2026-07-31", starts="10:00", ends="12:00")

    request.refresh_from_db()
    local = timezone.localtime(request.session.starts_at)
    assert (local.date(), local.hour) == (date(2026, 7, 31), 10)
    assert len(texts_to(request.representative_phone)) == 1
    assert len(texts_to(supporter.phone)) == 1
    [moved] = texts_to(invited.phone)
    assert "7/31" in moved
    assert request.events.last().kind == RequestEvent.Kind.RESCHEDULED


def test_cancelling_a_scheduled_visit_cancels_its_session_and_tells_everyone(
    coordinator_client, supporter
):
    request = factories.scheduled_visit()
    factories.shift(session=request.session, supporter=supporter)

    act(coordinator_client, request, "cancel", text="台風のため")

    request.refresh_from_db()
    assert (request.status, request.session.status) == ("cancelled", "cancelled")
    assert request.session.cancellation_reason == "台風のため"
    assert OutboundMessage.objects.filter(
        to=supporter.phone, purpose=OutboundMessage.Purpose.CANCELLATION
    ).exists()
    assert OutboundMessage.objects.filter(
        to=request.representative_phone, purpose=OutboundMessage.Purpose.CANCELLATION
    ).exists()


def test_impossible_transitions_are_refused_with_a_code(coordinator):
    declined = decline_request(factories.dispatch_request(), by=coordinator)
    scheduled = factories.scheduled_visit()

    for step in (accept_request, cancel_request):
        with pytest.raises(RequestError) as refusal:
            step(declined, by=coordinator)
        assert refusal.value.code == "not_open"
    with pytest.raises(RequestError) as refusal:
        complete_request(scheduled, by=coordinator)
    assert refusal.value.code == "not_over"
    with pytest.raises(RequestError) as refusal:
        reschedule_request(
            declined,
            starts_at=timezone.now() + timedelta(days=3),
            ends_at=timezone.now() + timedelta(days=3, hours=2),
            by=coordinator,
        )
    assert refusal.value.code == "not_scheduled"


def test_the_representatives_details_go_180_days_after_the_visit(time_machine, coordinator):
    request = factories.scheduled_visit(residents_count=8)
    visit_ends = request.session.ends_at
    ContactAccess.objects.create(request=request, user=coordinator, where="page")
    DispatchRequest.objects.filter(pk=request.pk).update(status="done")
    time_machine.move_to(visit_ends + timedelta(days=179), tick=False)
    assert purge_due() == 0

    time_machine.move_to(visit_ends + timedelta(days=181), tick=False)
    assert purge_due() == 1
    assert purge_due() == 0

    request.refresh_from_db()
    assert request.is_purged
    assert (request.representative_name, request.representative_phone, request.group_name) == (
        "",
        "",
        "",
    )
    assert (request.residents_count, request.reference) == (8, request.reference)
    assert request.session is not None  # the visit still counts in the figures
    assert request.events.last().kind == RequestEvent.Kind.PURGED


def test_a_declined_request_is_purged_too_and_its_page_says_so(
    time_machine, coordinator_client, coordinator
):
    request = decline_request(factories.dispatch_request(), by=coordinator, reason="市外")
    time_machine.move_to(timezone.now() + timedelta(days=181), tick=False)
    purge_due()
    coordinator_client.force_login(coordinator)  # the sign-in has long expired

    html = coordinator_client.get(detail_url(request)).content.decode()

    assert "群馬 太郎" not in html
    assert "市外" not in html
    assert "removed" in html
    assert not ContactAccess.objects.exists()  # nothing personal left to see
