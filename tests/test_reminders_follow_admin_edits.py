"""Registrations and group visits entered by coordinators get their day-before reminder."""

from datetime import datetime

import pytest
import time_machine
from django.contrib.admin import helpers
from django.urls import reverse

from config.fiscal import TOKYO
from notifications.models import OutboundMessage
from sessions.models import ClassRegistration, DispatchRequest, Session
from sessions.reminders import refresh_reminders
from tests import factories

pytestmark = pytest.mark.django_db

CLASS_STARTS = datetime(2026, 12, 10, 10, 0, tzinfo=TOKYO)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=TOKYO), tick=False):
        yield


def reminders_about(obj):
    return OutboundMessage.objects.about(obj).filter(purpose=OutboundMessage.Purpose.REMINDER)


def test_a_registration_added_in_the_admin_is_reminded_the_evening_before(coordinator_client):
    session = factories.session(kind=Session.Kind.CLASS, starts_at=CLASS_STARTS)
    response = coordinator_client.post(
        reverse("admin:helpdesk_sessions_classregistration_add"),
        {
            "session": session.pk,
            "name": "赤城 花子",
            "name_kana": "あかぎ はなこ",
            "phone": "090-1234-5678",
            "language": "ja",
            "status": "registered",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    registration = ClassRegistration.objects.get()
    (reminder,) = reminders_about(registration)
    assert reminder.to == "+819012345678"
    assert reminder.status == OutboundMessage.Status.PENDING
    assert reminder.send_after == datetime(2026, 12, 9, 18, 0, tzinfo=TOKYO)


def test_cancelling_a_registration_by_the_admins_action_calls_off_its_reminder(coordinator_client):
    session = factories.session(kind=Session.Kind.CLASS, starts_at=CLASS_STARTS)
    registration = factories.class_registration(session=session, phone="+819012345678")
    refresh_reminders(registration)
    assert reminders_about(registration).get().status == OutboundMessage.Status.PENDING
    response = coordinator_client.post(
        reverse("admin:helpdesk_sessions_classregistration_changelist"),
        {"action": "cancel", helpers.ACTION_CHECKBOX_NAME: [registration.pk]},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert reminders_about(registration).get().status == OutboundMessage.Status.CANCELLED


def test_a_scheduled_request_reminds_its_representative_once(coordinator):
    session = factories.session(
        kind=Session.Kind.DISPATCH, starts_at=CLASS_STARTS, venue=None, address="前橋市田口町1"
    )
    request = factories.dispatch_request(session=session, status=DispatchRequest.Status.SCHEDULED)
    refresh_reminders(request)
    refresh_reminders(request)  # saving twice still makes one reminder
    (reminder,) = reminders_about(request)
    assert reminder.to == request.representative_phone
    assert reminder.send_after == datetime(2026, 12, 9, 18, 0, tzinfo=TOKYO)
