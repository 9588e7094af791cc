"""Coordinators run smartphone classes (issue 11): the class desk, a class or a whole series made
at once, a class changed, its roster with the waiting list, and attendance marked at the door,
on the pages and in the API. The clock stands on Monday 9 March 2026, 10:00 in Tokyo."""

from datetime import date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from config.fiscal import TOKYO
from notifications.models import OutboundMessage
from sessions.models import ClassRegistration, ClassSeries, Session, Shift
from sessions.services import (
    ClassError,
    SeriesRule,
    cancel_registration,
    cancel_session,
    create_class,
    create_series,
    mark_attended,
    update_class,
)
from tests import factories
from tests.test_admin import admin_url, assert_saved
from tests.test_admin_goes_through_the_services import change_page_post

pytestmark = pytest.mark.usefixtures("monday_morning")

Status = ClassRegistration.Status
NEXT_TUESDAY = date(2026, 3, 17)
VERNAL_EQUINOX = date(2026, 3, 20)  # 春分の日, a Friday


@pytest.fixture
def hall(db):
    return factories.venue(name="城南公民館", is_helpdesk=False)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TOKYO)


def class_data(hall, **changes) -> dict:
    return {
        "title": "LINE入門",
        "description": "友だちの追加とメッセージ。",
        "class_level": Session.Level.INTRODUCTION,
        "organiser": Session.Organiser.KOMINKAN,
        "loaner_devices": False,
        "venue": hall,
        "capacity": 12,
        "supporters_needed": 3,
        "starts_at": at(NEXT_TUESDAY, 10),
        "ends_at": at(NEXT_TUESDAY, 12),
        **changes,
    }


def form_post(hall, **changes) -> dict:
    return {
        "title": "LINE入門",
        "description": "友だちの追加とメッセージ。",
        "class_level": "1",
        "loaner_devices": "false",
        "organiser": "kominkan",
        "venue": str(hall.pk),
        "capacity": "12",
        "supporters_needed": "3",
        "language": "ja",
        "day": NEXT_TUESDAY.isoformat(),
        "starts": "10:00",
        "ends": "12:00",
        "series_choice": "none",
        **changes,
    }


@pytest.fixture
def full_class(hall):
    """Next Tuesday's LINE class: two seats, both taken, two residents waiting in line."""
    a_class = create_class(class_data(hall, capacity=2), by=factories.coordinator())
    for n, status in enumerate([Status.REGISTERED, Status.REGISTERED]):
        factories.class_registration(session=a_class, name=f"席 {n}", status=status)
    for position in (1, 2):
        factories.class_registration(
            session=a_class,
            name=f"待ち {position}",
            name_kana=f"まち {position}",
            status=Status.WAITLISTED,
            waitlist_position=position,
        )
    return a_class


# Making classes ---------------------------------------------------------------------------------


def test_a_coordinator_makes_a_class_with_every_field_the_city_lists(coordinator_client, hall):
    response = coordinator_client.post(
        reverse("helpdesk_sessions:class_new"),
        form_post(hall, class_level="3", loaner_devices="true", organiser="company"),
    )

    made = Session.objects.get(kind=Session.Kind.CLASS)
    assert response.status_code == 302
    assert response.url == reverse("helpdesk_sessions:class_roster", args=[made.pk])
    assert (made.title, made.class_level, made.organiser) == ("LINE入門", 3, "company")
    assert made.loaner_devices is True
    assert (made.venue, made.district, made.capacity, made.supporters_needed) == (
        hall,
        hall.district,
        12,
        3,
    )
    assert made.starts_at == at(NEXT_TUESDAY, 10)
    assert made.ends_at == at(NEXT_TUESDAY, 12)
    assert made.series is None


def test_the_class_form_offers_the_levels_in_the_citys_words(coordinator_client):
    page = coordinator_client.get(reverse("helpdesk_sessions:class_new")).content.decode()

    for label in ("入門編", "基礎編", "応用編", "実践編", "活用編"):
        assert label in page
    assert 'name="series_choice"' in page
    assert '<label for="id_venue">' in page


def test_a_class_can_start_a_new_series_or_join_one(coordinator_client, hall):
    coordinator_client.post(
        reverse("helpdesk_sessions:class_new"),
        form_post(hall, series_choice="new", new_series="月例LINE教室"),
    )
    series = ClassSeries.objects.get()
    coordinator_client.post(
        reverse("helpdesk_sessions:class_new"),
        form_post(hall, series_choice="existing", series=str(series.pk), day="2026-04-14"),
    )

    assert series.title == "月例LINE教室"
    assert series.classes.count() == 2


def test_a_class_on_a_day_the_venue_is_closed_is_refused_saying_why(coordinator_client, hall):
    response = coordinator_client.post(
        reverse("helpdesk_sessions:class_new"), form_post(hall, day=VERNAL_EQUINOX.isoformat())
    )

    assert response.status_code == 200
    # The holiday by its name, as the `holidays` library gives it (venues.closures).
    assert "2026/03/20（春分の日）は会場の休館日です。" in response.content.decode()
    assert not Session.objects.filter(kind=Session.Kind.CLASS).exists()


def test_a_class_on_a_venues_own_closed_day_says_the_closures_reason(coordinator, hall):
    factories.closure(venue=hall, starts_on=NEXT_TUESDAY, reason="館内点検")

    with pytest.raises(ClassError) as refused:
        create_class(class_data(hall), by=coordinator)

    assert refused.value.code == "closed"
    assert "館内点検" in str(refused.value.message)


def test_a_class_needs_a_level_an_organiser_and_places(coordinator, hall):
    with pytest.raises(ClassError) as refused:
        create_class(class_data(hall, class_level=None, organiser="", capacity=0), by=coordinator)

    assert refused.value.code == "invalid"
    assert set(refused.value.details) == {"class_level", "organiser", "capacity"}


def test_only_coordinators_make_classes(supporter, hall):
    with pytest.raises(ClassError) as refused:
        create_class(class_data(hall), by=supporter.user)

    assert refused.value.code == "forbidden"


# Series -------------------------------------------------------------------------------------


def series_fields(hall, **changes) -> dict:
    fields = class_data(hall, **changes)
    del fields["starts_at"], fields["ends_at"]
    return fields


def test_a_monthly_line_class_on_the_second_tuesday_passes_over_a_holiday(coordinator, hall):
    # 11 August 2026, the second Tuesday, is 山の日: the rule goes on to September.
    rule = SeriesRule(first=date(2026, 4, 1), count=5, weekday=1, week_of_month=2)

    plan = create_series(
        "月例LINE教室",
        "毎月第2火曜日",
        series_fields(hall),
        starts=time(13, 30),
        ends=time(15, 0),
        rule=rule,
        by=coordinator,
    )

    days = [date(2026, 4, 14), date(2026, 5, 12), date(2026, 6, 9), date(2026, 7, 14)]
    days.append(date(2026, 9, 8))
    assert plan.dates == days
    assert [day for day, _reason in plan.skipped] == [date(2026, 8, 11)]
    classes = plan.series.classes.order_by("starts_at")
    assert [timezone.localdate(c.starts_at) for c in classes] == days
    assert {(c.title, c.class_level, c.venue_id, c.capacity) for c in classes} == {
        ("LINE入門", 1, hall.pk, 12)
    }
    assert timezone.localtime(classes[0].starts_at).time() == time(13, 30)


def test_the_five_level_course_on_a_list_of_dates_skips_a_closed_day_or_is_refused(
    coordinator, hall
):
    dates = [NEXT_TUESDAY, VERNAL_EQUINOX, date(2026, 3, 24), date(2026, 3, 31)]

    with pytest.raises(ClassError) as refused:
        create_series(
            "5段階講座",
            "",
            series_fields(hall),
            starts=time(10),
            ends=time(12),
            dates=dates,
            skip_closed=False,
            by=coordinator,
        )
    assert refused.value.code == "closed"
    assert not ClassSeries.objects.exists()

    plan = create_series(
        "5段階講座",
        "",
        series_fields(hall),
        starts=time(10),
        ends=time(12),
        dates=dates,
        by=coordinator,
    )
    assert len(plan.classes) == 3
    assert plan.skipped[0][0] == VERNAL_EQUINOX


def test_the_series_page_previews_the_dates_then_makes_them_all(coordinator_client, hall):
    post = {
        **form_post(hall),
        "series_title": "5段階講座",
        "pattern": "weekly",
        "first": "2026-03-16",
        "weekday": "4",
        "count": "3",
        "every_weeks": "1",
        "skip_closed": "on",
    }
    del post["day"], post["series_choice"]
    url = reverse("helpdesk_sessions:class_series_new")

    preview = coordinator_client.post(url, {**post, "preview": "1"})
    assert preview.status_code == 200
    assert not Session.objects.filter(kind=Session.Kind.CLASS).exists()
    assert "祝日" in preview.content.decode()

    made = coordinator_client.post(url, {**post, "create": "1"})
    assert made.status_code == 302
    assert made.url == reverse("helpdesk_sessions:class_desk") + "?month=2026-03"
    days = [timezone.localdate(s.starts_at) for s in Session.objects.order_by("starts_at")]
    assert days == [date(2026, 3, 27), date(2026, 4, 3), date(2026, 4, 10)]


def test_a_series_list_that_does_not_read_as_dates_is_refused_on_the_page(coordinator_client, hall):
    post = {**form_post(hall), "series_title": "講座", "pattern": "list", "dates": "来週"}

    response = coordinator_client.post(reverse("helpdesk_sessions:class_series_new"), post)

    assert response.status_code == 200
    assert not ClassSeries.objects.exists()


# Changing a class --------------------------------------------------------------------------------


def test_fewer_places_than_the_seats_taken_is_refused_with_its_code(coordinator, full_class):
    with pytest.raises(ClassError) as refused:
        update_class(full_class, {"capacity": 1}, by=coordinator)

    assert refused.value.code == "capacity_below_taken"
    full_class.refresh_from_db()
    assert full_class.capacity == 2


def test_the_edit_page_says_why_the_places_cannot_drop(coordinator_client, full_class):
    response = coordinator_client.post(
        reverse("helpdesk_sessions:class_edit", args=[full_class.pk]),
        form_post(full_class.venue, capacity="1"),
    )

    assert response.status_code == 200
    assert "2" in response.content.decode()
    full_class.refresh_from_db()
    assert full_class.capacity == 2


def test_more_places_go_to_the_first_in_line_who_is_texted(coordinator_client, full_class):
    response = coordinator_client.post(
        reverse("helpdesk_sessions:class_edit", args=[full_class.pk]),
        form_post(full_class.venue, capacity="3", title="LINE入門（増席）"),
    )

    assert response.status_code == 302
    first, second = full_class.registrations.filter(name__startswith="待ち").order_by("name")
    # Offered, theirs once they answer (registrations.offer_freed_seats); the next one waits.
    assert (first.status, second.status) == (Status.OFFERED, Status.WAITLISTED)
    assert (
        OutboundMessage.objects.about(first)
        .filter(purpose=OutboundMessage.Purpose.WAITLIST_OFFER)
        .exists()
    )
    full_class.refresh_from_db()
    assert (full_class.capacity, full_class.title) == (3, "LINE入門（増席）")


def test_new_times_go_through_move_session_and_the_calendars_hear_of_it(coordinator, full_class):
    shift = factories.shift(session=full_class)

    update_class(
        full_class,
        {"starts_at": at(NEXT_TUESDAY, 13), "ends_at": at(NEXT_TUESDAY, 15)},
        by=coordinator,
    )

    full_class.refresh_from_db()
    shift.refresh_from_db()
    assert full_class.starts_at == at(NEXT_TUESDAY, 13)
    assert shift.sequence == 1


def test_a_new_time_is_texted_to_residents_and_supporters_and_a_landline_is_a_call(
    coordinator, full_class
):
    shift = factories.shift(session=full_class)
    landline = full_class.registrations.get(name="待ち 2")
    landline.phone = "+81272241111"
    landline.save()
    change = {"starts_at": at(NEXT_TUESDAY, 13), "ends_at": at(NEXT_TUESDAY, 15)}

    update_class(full_class, change, by=coordinator)
    update_class(full_class, change, by=coordinator)  # the same again: nothing more

    moved = OutboundMessage.objects.filter(idempotency_key__contains="moved")
    residents = moved.filter(idempotency_key__startswith="registration:")
    assert residents.count() == 3  # two seats and the first in line; not the landline
    assert all("/classes/registrations/" in text.body for text in residents)
    assert all(text.body.count("http") == 1 for text in residents)  # one absolute link each
    assert moved.filter(
        idempotency_key=f"class-moved:shift:{shift.pk}@2026-03-17T13:00:{full_class.venue_id}"
    ).exists()
    landline.refresh_from_db()
    assert landline.call_back_since is not None


def test_a_class_cannot_be_moved_into_the_past(coordinator, full_class):
    yesterday = at(date(2026, 3, 8), 10)

    with pytest.raises(ClassError) as refused:
        update_class(
            full_class,
            {"starts_at": yesterday, "ends_at": yesterday + timedelta(hours=2)},
            by=coordinator,
        )

    assert refused.value.code == "invalid"
    assert set(refused.value.details) == {"starts_at"}


def test_a_cancelled_class_cannot_be_changed(coordinator, full_class):
    cancel_session(full_class, by=coordinator)

    with pytest.raises(ClassError) as refused:
        update_class(full_class, {"capacity": 5}, by=coordinator)
    assert refused.value.code == "cancelled"


# The roster and the door ----------------------------------------------------------------------


def test_the_roster_lists_residents_the_waiting_list_in_order_and_folds_the_cancelled(
    coordinator_client, full_class
):
    factories.class_registration(
        session=full_class,
        name="固定 電話",
        name_kana="こてい でんわ",
        phone="+81272241111",
        needs_device=True,
    )
    factories.class_registration(session=full_class, name="取消 済", status=Status.CANCELLED)
    supporter = factories.supporter()
    factories.shift(session=full_class, supporter=supporter)

    page = coordinator_client.get(
        reverse("helpdesk_sessions:class_roster", args=[full_class.pk])
    ).content.decode()

    assert "固定 電話" in page
    assert "こてい でんわ" in page
    assert "027-224-1111" in page
    assert "固定電話（SMS不可）" in page
    assert page.index("待ち 1") < page.index("待ち 2")
    assert page.index("<details") < page.index("取消 済")
    assert supporter.full_name in page
    assert reverse("helpdesk_sessions:roster", args=[full_class.pk]) in page


def test_attendance_cannot_be_marked_before_half_an_hour_before_the_start(coordinator, full_class):
    seated = full_class.registrations.filter(status=Status.REGISTERED).first()

    with pytest.raises(ClassError) as refused:
        mark_attended(seated, True, by=coordinator)

    assert refused.value.code == "too_early"


@pytest.fixture
def at_the_door(monday_morning, full_class):
    monday_morning.move_to(full_class.starts_at - timedelta(minutes=20), tick=False)
    return full_class


def test_a_tap_at_the_door_marks_a_resident_present_and_htmx_gets_the_row(
    coordinator_client, at_the_door
):
    seated = at_the_door.registrations.filter(status=Status.REGISTERED).first()

    response = coordinator_client.post(
        reverse("helpdesk_sessions:class_attendance", args=[at_the_door.pk]),
        {"registration": seated.pk, "attended": "1"},
        headers={"HX-Request": "true"},
    )

    seated.refresh_from_db()
    assert seated.status == Status.ATTENDED
    row = response.content.decode()
    assert row.strip().startswith(
        f'<li class="card attendee attendee--present" id="registration-{seated.pk}"'
    )
    assert 'aria-pressed="true"' in row
    assert "<html" not in row
    count = '<span class="badge badge--ok" id="attended-count" hx-swap-oob="true">1人出席</span>'
    assert count in row  # the roster's count follows, out of band


def test_without_javascript_the_tap_posts_and_the_roster_comes_back_at_the_row(
    coordinator_client, at_the_door
):
    seated = at_the_door.registrations.filter(status=Status.REGISTERED).first()
    url = reverse("helpdesk_sessions:class_attendance", args=[at_the_door.pk])

    marked = coordinator_client.post(url, {"registration": seated.pk, "attended": "1"})
    roster = reverse("helpdesk_sessions:class_roster", args=[at_the_door.pk])
    assert marked.status_code == 302
    assert marked.url == f"{roster}#registration-{seated.pk}"
    page = coordinator_client.get(roster).content.decode()
    assert 'aria-pressed="true"' in page

    coordinator_client.post(url, {"registration": seated.pk, "attended": "0"})
    seated.refresh_from_db()
    assert seated.status == Status.REGISTERED


def test_a_resident_still_waiting_cannot_be_marked_present(coordinator_client, at_the_door):
    waiting = at_the_door.registrations.filter(status=Status.WAITLISTED).first()

    response = coordinator_client.post(
        reverse("helpdesk_sessions:class_attendance", args=[at_the_door.pk]),
        {"registration": waiting.pk, "attended": "1"},
        headers={"HX-Request": "true"},
    )

    waiting.refresh_from_db()
    assert waiting.status == Status.WAITLISTED
    assert 'role="alert"' in response.content.decode()


def test_a_registration_of_another_class_is_not_found(coordinator_client, at_the_door):
    other = factories.class_registration()

    response = coordinator_client.post(
        reverse("helpdesk_sessions:class_attendance", args=[at_the_door.pk]),
        {"registration": other.pk, "attended": "1"},
    )

    assert response.status_code == 404


def test_the_class_desk_shows_seats_waiting_and_attended(coordinator_client, at_the_door):
    seated = at_the_door.registrations.filter(status=Status.REGISTERED).first()
    mark_attended(seated, True, by=factories.coordinator())

    page = coordinator_client.get(reverse("helpdesk_sessions:class_desk")).content.decode()

    assert "LINE入門" in page
    assert "定員2人中2人申込み" in page
    assert "2人キャンセル待ち" in page
    assert "1人出席" in page


def test_the_class_desk_filters_by_month_and_organiser(coordinator, coordinator_client, hall):
    create_class(class_data(hall, title="三月の教室"), by=coordinator)
    april = at(date(2026, 4, 14), 10)
    create_class(
        class_data(
            hall,
            title="四月の教室",
            organiser=Session.Organiser.CITY,
            starts_at=april,
            ends_at=april + timedelta(hours=2),
        ),
        by=coordinator,
    )
    url = reverse("helpdesk_sessions:class_desk")

    march = coordinator_client.get(url, {"month": "2026-03"}).content.decode()
    city = coordinator_client.get(url, {"organiser": "city"}).content.decode()

    assert "三月の教室" in march
    assert "四月の教室" not in march
    assert "四月の教室" in city
    assert "三月の教室" not in city


# Who may ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["class_desk", "class_new", "class_series_new", "class_roster", "class_edit"]
)
def test_supporters_are_refused_and_visitors_sent_to_sign_in(client, supporter, full_class, name):
    args = [full_class.pk] if name in ("class_roster", "class_edit") else []
    url = reverse(f"helpdesk_sessions:{name}", args=args)

    anonymous = client.get(url)
    client.force_login(supporter.user)
    signed_in = client.get(url)

    assert anonymous.status_code == 302
    assert reverse("account_login") in anonymous.url
    assert signed_in.status_code == 403


def test_a_supporter_cannot_mark_attendance(supporter_client, at_the_door):
    seated = at_the_door.registrations.filter(status=Status.REGISTERED).first()

    response = supporter_client.post(
        reverse("helpdesk_sessions:class_attendance", args=[at_the_door.pk]),
        {"registration": seated.pk, "attended": "1"},
    )

    assert response.status_code == 403
    seated.refresh_from_db()
    assert seated.status == Status.REGISTERED


def test_the_coordinators_menu_links_the_class_desk(coordinator_client):
    page = coordinator_client.get(reverse("helpdesk_sessions:class_desk")).content.decode()

    assert f'href="{reverse("helpdesk_sessions:class_desk")}" aria-current="page"' in page


# Fixed queries -------------------------------------------------------------------------------


def _fill(session, seated: int, waiting: int, cancelled: int) -> None:
    for _ in range(seated):
        factories.class_registration(session=session)
    for position in range(1, waiting + 1):
        factories.class_registration(
            session=session, status=Status.WAITLISTED, waitlist_position=position
        )
    for _ in range(cancelled):
        factories.class_registration(session=session, status=Status.CANCELLED)
    factories.shift(session=session, status=Shift.Status.SIGNED_UP)


@pytest.mark.parametrize("classes", [1, 8])
def test_the_class_desk_costs_the_same_queries_for_1_or_8_classes(
    coordinator_client, coordinator, hall, classes, django_assert_max_num_queries
):
    for n in range(classes):
        a_class = create_class(class_data(hall, title=f"教室{n}", capacity=4), by=coordinator)
        _fill(a_class, 3, n, 1)

    # The session, the user, the count, the page (with its counts) and the calls to make,
    # besides the layout's own.
    with django_assert_max_num_queries(10):
        response = coordinator_client.get(reverse("helpdesk_sessions:class_desk"))
    assert response.status_code == 200


@pytest.mark.parametrize("residents", [2, 20])
def test_the_roster_costs_the_same_queries_whatever_the_registrations(
    coordinator_client, coordinator, hall, residents, django_assert_max_num_queries
):
    a_class = create_class(class_data(hall, capacity=residents), by=coordinator)
    _fill(a_class, residents, residents, residents)

    # The class, its registrations and its team, besides the layout's own.
    with django_assert_max_num_queries(10):
        response = coordinator_client.get(
            reverse("helpdesk_sessions:class_roster", args=[a_class.pk])
        )
    assert response.status_code == 200


# The admin goes through the same services ---------------------------------------------------------


def test_more_places_in_the_admin_go_to_the_waiting_list(staff_client, full_class):
    response = change_page_post(staff_client, "helpdesk_sessions.session", full_class, capacity=3)

    assert_saved(response)
    first = full_class.registrations.get(name="待ち 1")
    assert first.status == Status.OFFERED
    assert (
        OutboundMessage.objects.about(first)
        .filter(purpose=OutboundMessage.Purpose.WAITLIST_OFFER)
        .exists()
    )


def test_fewer_places_than_seats_taken_are_refused_in_the_admin(staff_client, full_class):
    response = change_page_post(staff_client, "helpdesk_sessions.session", full_class, capacity=1)

    assert response.status_code == 200
    assert "capacity" in response.context["adminform"].form.errors
    full_class.refresh_from_db()
    assert full_class.capacity == 2


def test_the_admin_shows_a_class_level_organiser_and_series(staff_client, hall):
    plan = create_series(
        "5段階講座",
        "",
        series_fields(hall),
        starts=time(10),
        ends=time(12),
        dates=[NEXT_TUESDAY],
        by=factories.coordinator(),
    )
    a_class = plan.classes[0]

    page = staff_client.get(admin_url("helpdesk_sessions.session", "change", a_class.pk))
    series_page = staff_client.get(
        admin_url("helpdesk_sessions.classseries", "change", plan.series.pk)
    )

    form = page.context["adminform"].form
    assert {"class_level", "organiser", "series"} <= set(form.fields)
    assert series_page.status_code == 200
    assert "LINE入門" in series_page.content.decode()


# Landlines: no text reaches them, the coordinator calls ------------------------------------------


def test_a_seat_freed_for_a_landline_is_a_call_the_coordinator_notes_on_the_roster(
    coordinator_client, full_class, coordinator
):
    first = full_class.registrations.get(name="待ち 1")
    first.phone = "+81272241111"  # the city hall's landline
    first.save()
    seated = full_class.registrations.filter(status=Status.REGISTERED).first()

    cancel_registration(seated, by=coordinator)

    desk = coordinator_client.get(reverse("helpdesk_sessions:class_desk")).content.decode()
    roster_url = reverse("helpdesk_sessions:class_roster", args=[full_class.pk])
    roster = coordinator_client.get(roster_url).content.decode()
    assert "待ち 1" in desk
    assert f"#call-{first.pk}" in desk
    assert f'id="call-{first.pk}"' in roster
    assert not OutboundMessage.objects.about(first).exists()  # a landline: nothing texted

    answered = coordinator_client.post(
        reverse("helpdesk_sessions:class_call", args=[full_class.pk]),
        {"registration": first.pk, "answer": "took"},
    )

    assert answered.status_code == 302
    first.refresh_from_db()
    assert (first.status, first.call_back_since) == (Status.REGISTERED, None)
    assert f'id="call-{first.pk}"' not in coordinator_client.get(roster_url).content.decode()


def test_a_landline_that_declines_passes_the_seat_to_the_next_in_line(
    coordinator_client, full_class, coordinator
):
    first = full_class.registrations.get(name="待ち 1")
    first.phone = "+81272241111"
    first.save()
    cancel_registration(
        full_class.registrations.filter(status=Status.REGISTERED).first(), by=coordinator
    )
    url = reverse("helpdesk_sessions:class_call", args=[full_class.pk])

    coordinator_client.post(url, {"registration": first.pk, "answer": "declined"})
    nonsense = coordinator_client.post(url, {"registration": first.pk, "answer": "maybe"})

    second = full_class.registrations.get(name="待ち 2")
    assert second.status == Status.OFFERED  # a mobile: texted its offer
    assert (
        OutboundMessage.objects.about(second)
        .filter(purpose=OutboundMessage.Purpose.WAITLIST_OFFER)
        .exists()
    )
    assert nonsense.status_code == 302


def test_only_coordinators_note_calls(client, full_class):
    client.force_login(factories.supporter().user)
    url = reverse("helpdesk_sessions:class_call", args=[full_class.pk])

    assert client.post(url, {"registration": 1, "answer": "took"}).status_code == 403
