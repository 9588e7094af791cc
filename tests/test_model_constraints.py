"""Each absolute rule of the domain is refused by the database itself, not only by forms."""

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.db.models.deletion import ProtectedError
from django.utils import timezone

from sessions.models import ClassRegistration, DispatchRequest, Session, Shift
from supporters.models import Supporter, User
from tests import factories
from venues.models import Venue

pytestmark = pytest.mark.django_db


def refused(callable_):
    with pytest.raises(IntegrityError), transaction.atomic():
        callable_()


def test_a_session_must_end_after_it_starts():
    session = factories.session()
    refused(lambda: Session.objects.filter(pk=session.pk).update(ends_at=session.starts_at))


def test_a_session_needs_a_venue_or_an_address():
    session = factories.session()
    refused(lambda: Session.objects.filter(pk=session.pk).update(venue=None, address=""))


def test_a_dispatch_at_an_address_needs_no_venue():
    session = factories.session(kind=Session.Kind.DISPATCH, address="前橋市田口町1", venue=None)
    assert session.place_label == "前橋市田口町1"


def test_a_class_needs_participant_places():
    session = factories.session(kind=Session.Kind.CLASS)
    refused(lambda: Session.objects.filter(pk=session.pk).update(capacity=None))


def test_a_session_level_stays_between_one_and_five():
    session = factories.session()
    refused(lambda: Session.objects.filter(pk=session.pk).update(min_level=6))
    refused(lambda: Session.objects.filter(pk=session.pk).update(min_level=0))


def test_an_unknown_session_kind_or_status_is_refused():
    session = factories.session()
    refused(lambda: Session.objects.filter(pk=session.pk).update(kind="party"))
    refused(lambda: Session.objects.filter(pk=session.pk).update(status="maybe"))


def test_a_schedule_makes_one_session_per_slot():
    schedule = factories.schedule()
    first = factories.session(schedule=schedule, venue=schedule.venue)
    refused(
        lambda: factories.session(
            schedule=schedule, venue=schedule.venue, starts_at=first.starts_at
        )
    )


def test_a_supporter_holds_at_most_one_active_shift_per_session():
    shift = factories.shift()
    refused(lambda: Shift.objects.create(session=shift.session, supporter=shift.supporter))


def test_a_supporter_may_sign_up_again_after_cancelling():
    shift = factories.shift()
    Shift.objects.filter(pk=shift.pk).update(status=Shift.Status.CANCELLED)
    again = Shift.objects.create(session=shift.session, supporter=shift.supporter)
    assert again.status == Shift.Status.SIGNED_UP


def test_check_in_time_only_on_an_attended_shift():
    shift = factories.shift()
    refused(lambda: Shift.objects.filter(pk=shift.pk).update(checked_in_at=timezone.now()))
    Shift.objects.filter(pk=shift.pk).update(status="attended", checked_in_at=timezone.now())


def test_waiting_supporters_have_a_position_and_others_none():
    shift = factories.shift()
    refused(lambda: Shift.objects.filter(pk=shift.pk).update(status=Shift.Status.WAITLISTED))
    refused(lambda: Shift.objects.filter(pk=shift.pk).update(waitlist_position=1))


def test_an_offer_has_an_expiry():
    shift = factories.shift()
    refused(lambda: Shift.objects.filter(pk=shift.pk).update(status=Shift.Status.OFFERED))


def test_a_group_visit_is_for_three_or_more_residents():
    refused(lambda: factories.dispatch_request(residents_count=2))


def test_a_scheduled_request_has_its_session():
    request = factories.dispatch_request()
    refused(
        lambda: DispatchRequest.objects.filter(pk=request.pk).update(
            status=DispatchRequest.Status.SCHEDULED
        )
    )


def test_request_references_are_unique_and_readable():
    first, second = factories.dispatch_request(), factories.dispatch_request()
    assert first.reference != second.reference
    assert first.reference.startswith("G-")
    assert not set(first.reference[2:]) & set("01OI")
    refused(lambda: DispatchRequest.objects.filter(pk=second.pk).update(reference=first.reference))


def test_one_registration_per_phone_per_class():
    registration = factories.class_registration()
    refused(
        lambda: factories.class_registration(session=registration.session, phone=registration.phone)
    )


def test_waitlist_positions_are_unique_within_a_class():
    registration = factories.class_registration(status="waitlisted", waitlist_position=1)
    refused(
        lambda: factories.class_registration(
            session=registration.session, status="waitlisted", waitlist_position=1
        )
    )
    refused(lambda: factories.class_registration(status="waitlisted"))


def test_consultation_minutes_and_choices_are_bounded():
    refused(lambda: factories.consultation(minutes=0))
    refused(lambda: factories.consultation(minutes=241))
    refused(lambda: factories.consultation(device="walkman"))
    refused(lambda: factories.consultation(age_band="ancient"))


def test_a_session_has_at_most_one_report():
    report = factories.session_report()
    refused(lambda: factories.session_report(session=report.session))


def test_supporter_levels_stay_between_one_and_five():
    supporter = factories.supporter()
    refused(lambda: Supporter.objects.filter(pk=supporter.pk).update(training_level=6))


def test_a_withdrawn_supporter_has_a_withdrawal_date_and_only_they_do():
    supporter = factories.supporter()
    refused(lambda: Supporter.objects.filter(pk=supporter.pk).update(status="withdrawn"))
    refused(lambda: Supporter.objects.filter(pk=supporter.pk).update(withdrawn_on=date(2025, 1, 1)))
    Supporter.objects.filter(pk=supporter.pk).update(
        status="withdrawn", withdrawn_on=date(2025, 1, 1)
    )


def test_a_supporter_cannot_withdraw_or_pause_before_joining():
    supporter = factories.supporter(joined_on=date(2024, 6, 1))
    refused(
        lambda: Supporter.objects.filter(pk=supporter.pk).update(
            status="withdrawn", withdrawn_on=date(2024, 5, 1)
        )
    )
    refused(
        lambda: Supporter.objects.filter(pk=supporter.pk).update(
            status="paused", paused_on=date(2024, 5, 1)
        )
    )


def test_phone_numbers_are_unique_among_users_but_optional():
    first = factories.user(phone="+819011112222")
    refused(lambda: factories.user(phone=first.phone))
    factories.user(phone="")
    factories.user(phone="")  # many users may have none


def test_emails_are_unique_ignoring_case_but_optional():
    factories.user(email="hanako@example.jp")
    refused(lambda: factories.user(email="Hanako@Example.jp"))
    factories.user(email="")
    factories.user(email="")


def test_only_a_user_with_a_phone_can_have_it_verified():
    refused(lambda: factories.user(phone="", phone_verified=True))


def test_a_supporter_with_history_cannot_be_deleted_only_withdrawn():
    shift = factories.shift()
    with pytest.raises(ProtectedError):
        shift.supporter.delete()
    with pytest.raises(ProtectedError):
        User.objects.get(pk=shift.supporter.user_id).delete()


def test_a_venue_with_sessions_cannot_be_deleted():
    session = factories.session()
    with pytest.raises(ProtectedError):
        session.venue.delete()


def test_active_on_counts_supporters_registered_that_day():
    factories.supporter(joined_on=date(2024, 4, 1))
    factories.supporter(joined_on=date(2025, 4, 1))  # joined after the day
    factories.supporter(
        joined_on=date(2024, 4, 1), status="withdrawn", withdrawn_on=date(2025, 3, 31)
    )
    factories.supporter(
        joined_on=date(2024, 4, 1), status="withdrawn", withdrawn_on=date(2025, 4, 1)
    )
    factories.supporter(joined_on=date(2024, 4, 1), status="paused", paused_on=date(2024, 10, 1))
    assert Supporter.objects.active_on(date(2025, 3, 31)).count() == 2


def test_places_left_counts_only_places_held():
    session = factories.session(supporters_needed=3)
    factories.shift(session=session)
    factories.shift(session=session, status=Shift.Status.CANCELLED)
    factories.shift(session=session, status=Shift.Status.WAITLISTED, waitlist_position=1)
    assert session.places_left() == 2
    annotated = Session.objects.with_staffing().get(pk=session.pk)
    assert annotated.staffed == 1
    assert annotated.places_left() == 2


def test_seats_left_counts_registered_and_attended_residents():
    session = factories.session(kind=Session.Kind.CLASS, capacity=2)
    factories.class_registration(session=session)
    factories.class_registration(session=session, status=ClassRegistration.Status.CANCELLED)
    assert Session.objects.with_seats_taken().get(pk=session.pk).seats_left() == 1
    assert factories.session().seats_left() is None


def test_upcoming_leaves_out_ended_and_cancelled_sessions():
    now = timezone.now()
    ended = factories.session(starts_at=now - timedelta(hours=3))
    cancelled = factories.session(status=Session.Status.CANCELLED)
    running = factories.session(starts_at=now - timedelta(hours=1))
    upcoming = set(Session.objects.upcoming())
    assert running in upcoming
    assert ended not in upcoming
    assert cancelled not in upcoming


def test_coordinates_come_in_pairs():
    venue = factories.venue(latitude="36.389", longitude="139.063")
    refused(lambda: Venue.objects.filter(pk=venue.pk).update(longitude=None))
