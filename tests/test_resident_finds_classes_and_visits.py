"""A resident reads about smartphone classes and group visits (the request form: issue 10,
tests/test_resident_requests_a_dispatch.py)."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from config.fiscal import TOKYO
from config.public_pages import public_version
from sessions.models import ClassRegistration, Session
from tests import factories

NOW = datetime(2026, 5, 12, 9, 0, tzinfo=TOKYO)


# In English, so the assertions on wording hold whatever the Japanese catalogue says.
pytestmark = pytest.mark.usefixtures("in_english")


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def a_class(days, **kwargs):
    starts_at = NOW + timedelta(days=days)
    return factories.session(kind=Session.Kind.CLASS, starts_at=starts_at, **kwargs)


def test_the_classes_page_lists_upcoming_classes_with_seats_left(client, db):
    venue = factories.venue(name="中央公民館")
    line = a_class(3, venue=venue, title="LINE入門", capacity=10, loaner_devices=True)
    factories.class_registration(session=line)
    factories.class_registration(session=line, status=ClassRegistration.Status.CANCELLED)
    full = a_class(5, venue=venue, title="写真の整理", capacity=1)
    factories.class_registration(session=full)
    a_class(-3, venue=venue, title="終わった教室")
    a_class(4, venue=venue, title="中止の教室", status=Session.Status.CANCELLED)
    factories.session(starts_at=NOW + timedelta(days=2), venue=venue)  # a help desk

    response = client.get(reverse("helpdesk_sessions:classes"))

    assert list(response.context["classes"]) == [line, full]
    page = response.content.decode()
    assert "LINE入門" in page
    assert "中央公民館" in page
    assert "9 seats left" in page
    assert "Devices lent" in page
    assert "Full" in page
    assert "終わった教室" not in page
    assert "中止の教室" not in page
    assert "How to register" in page


def test_the_classes_page_says_when_none_are_planned(client, db):
    response = client.get(reverse("helpdesk_sessions:classes"))

    assert "No classes are planned" in response.content.decode()


@pytest.mark.parametrize("size", [1, 20])
def test_the_classes_page_reads_one_query_whatever_the_number_of_classes(
    client, db, django_assert_max_num_queries, size
):
    venue = factories.venue()
    for n in range(size):
        factories.class_registration(session=a_class(n + 1, venue=venue))
    public_version()

    # The public content version, then the classes with their seats (a miss: the data changed).
    with django_assert_max_num_queries(2):
        response = client.get(reverse("helpdesk_sessions:classes"))

    assert len(response.context["classes"]) == size


def test_the_visits_page_explains_a_group_visit_and_how_to_ask(client, db):
    response = client.get(reverse("helpdesk_sessions:visits"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "3 or more residents" in page
    assert "How to ask for a visit" in page
    assert f'href="{reverse("helpdesk_sessions:request")}"' in page
    assert 'href="tel:' in page


def test_the_home_page_links_to_classes_and_group_visits(client, db):
    page = client.get(reverse("home")).content.decode()

    assert f'href="{reverse("helpdesk_sessions:visits")}"' in page
    assert f'href="{reverse("helpdesk_sessions:request")}"' in page  # the button: the form
    assert f'href="{reverse("helpdesk_sessions:classes")}"' in page
    assert "Request a group visit" in page
