"""The home page: the programme and its help desks for everyone, plus each role's own section."""

import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from config.fiscal import TOKYO
from config.public_pages import public_version
from sessions.models import DispatchRequest, Session, Shift
from tests import factories

# A Tuesday morning in Maebashi.
NOW = datetime(2026, 5, 12, 9, 0, tzinfo=TOKYO)


# In English, so the assertions on wording hold whatever the Japanese catalogue says.
pytestmark = pytest.mark.usefixtures("in_english")


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def at(days, hour, minute=0):
    """A moment `days` from NOW's date, at hour:minute Tokyo time."""
    day = NOW.date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TOKYO)


def helpdesk(venue, days, hour=10, **kwargs):
    return factories.session(venue=venue, starts_at=at(days, hour), **kwargs)


def private_data(resident):
    """Residents' names and phones, which only coordinators and assigned supporters may see."""
    request = factories.resident(name="秘密 太郎", phone="+819011112222").requests_a_visit()
    registration = resident.registers_for(factories.session(kind=Session.Kind.CLASS))
    return request, registration


def test_the_public_sees_each_help_desk_with_its_next_dates(client, db):
    venue = factories.venue(name="総合福祉会館", access_notes="正面玄関からお入りください")
    for days in (14, 1, 28, 42):
        helpdesk(venue, days)
    helpdesk(venue, 7, status=Session.Status.CANCELLED)
    helpdesk(venue, -1)  # over
    factories.venue(name="閉館した公民館", is_active=False)
    factories.venue(name="ただの会議室", is_helpdesk=False)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    venues = response.context["helpdesk_venues"]
    assert [v.name for v in venues] == ["総合福祉会館"]
    # The next three, soonest first, without the past one; the cancelled one marked (issue 8).
    assert [s.starts_at for s in venues[0].next_sessions] == [at(1, 10), at(7, 10), at(14, 10)]
    page = response.content.decode()
    assert "正面玄関からお入りください" in page
    assert 'href="/classes/"' in page
    assert 'href="/visits/"' in page
    assert 'id="today"' not in page
    assert 'id="my-shifts"' not in page


def test_a_cancelled_help_desk_date_is_marked_until_it_has_passed(client, db):
    venue = factories.venue(name="総合福祉会館")
    helpdesk(venue, 1, status=Session.Status.CANCELLED)
    helpdesk(venue, 14)

    assert help_desk_dates(client) == {at(1, 10): True, at(14, 10): False}
    with time_machine.travel(at(2, 9), tick=False):
        assert help_desk_dates(client) == {at(14, 10): False}


def help_desk_dates(client) -> dict:
    """{start: marked as cancelled} for each date the home page lists."""
    page = client.get(reverse("home")).content.decode().split('id="helpdesks"')[1]
    return {
        datetime.fromisoformat(start): "Cancelled" in rest
        for start, rest in re.findall(r'<li>\s*<time datetime="([^"]+)">(.*?)</li>', page, re.S)
    }


def test_help_desk_dates_take_as_many_queries_for_one_venue_as_for_seven(client, db):
    def queries_for_home_page():
        public_version()  # the version the writes above replaced: a miss, as on a new day
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("home"))
        assert response.status_code == 200
        return len(queries), response.context["helpdesk_venues"]

    venue = factories.venue()
    for days in (1, 7, 14, 21):
        helpdesk(venue, days, status="cancelled" if days == 7 else "scheduled")
    one, _ = queries_for_home_page()
    for _ in range(6):
        venue = factories.venue()
        for days in (1, 7, 14, 21):
            helpdesk(venue, days)

    seven, venues = queries_for_home_page()
    assert seven == one
    assert [len(venue.next_sessions) for venue in venues] == [3] * 7


def test_help_desk_dates_stop_sixty_days_ahead(client, db):
    venue = factories.venue()
    helpdesk(venue, 59)
    helpdesk(venue, 61)

    venues = client.get(reverse("home")).context["helpdesk_venues"]

    assert [s.starts_at for s in venues[0].next_sessions] == [at(59, 10)]


def test_a_venue_without_dates_says_so(client, db):
    factories.venue(name="東公民館")

    response = client.get(reverse("home"))

    assert "東公民館" in response.content.decode()
    assert response.context["helpdesk_venues"][0].next_sessions == []


def test_the_public_never_sees_residents_names_or_phones(client, db, resident):
    request, registration = private_data(resident)
    factories.session(kind=Session.Kind.CLASS, venue=factories.venue())

    for url in (reverse("home"), reverse("helpdesk_sessions:classes")):
        page = client.get(url).content.decode()
        for secret in ("秘密 太郎", "90-1111-2222", "11112222", "内緒 花子", "33334444"):
            assert secret not in page
        assert request.reference not in page
        assert registration.reference not in page


def test_a_supporter_sees_their_next_shifts_above_the_public_content(client, supporter):
    venue = factories.venue(name="城南公民館")
    mine = helpdesk(venue, 2, hour=13)
    factories.shift(session=mine, supporter=supporter, role=Shift.Role.LEAD)
    factories.shift(session=helpdesk(venue, -2), supporter=supporter)  # over
    factories.shift(session=helpdesk(venue, 3), supporter=supporter, status="cancelled")
    factories.shift(session=helpdesk(venue, 4, status="cancelled"), supporter=supporter)
    factories.shift(session=helpdesk(factories.venue(name="他人の会場"), 5))  # someone else's
    client.force_login(supporter.user)

    response = client.get(reverse("home"))

    assert [shift.session for shift in response.context["next_shifts"]] == [mine]
    page = response.content.decode()
    section = page[page.index('id="my-shifts"') : page.index('id="helpdesks"')]
    assert "城南公民館" in section
    assert "13:00–15:00" in section
    assert "Lead" in section
    assert page.index('id="my-shifts"') < page.index('id="helpdesks"')
    assert "他人の会場" not in section
    assert 'id="today"' not in page


def test_a_supporter_without_shifts_is_told_so(client, supporter):
    client.force_login(supporter.user)

    response = client.get(reverse("home"))

    assert list(response.context["next_shifts"]) == []
    assert 'id="my-shifts"' in response.content.decode()


def test_a_coordinator_sees_todays_sessions_with_their_staffing(client, coordinator):
    venue = factories.venue(name="南橘公民館")
    early = helpdesk(venue, 0, hour=8)  # 23:00 the day before in UTC: still today here
    today = helpdesk(venue, 0, hour=13, supporters_needed=3)
    factories.shift(session=today)
    factories.shift(session=today, status="cancelled")
    helpdesk(venue, 1, hour=0)  # midnight tomorrow: not today, though the same UTC date
    helpdesk(venue, -1, hour=13)  # yesterday
    client.force_login(coordinator)

    response = client.get(reverse("home"))

    sessions = list(response.context["todays_sessions"])
    assert sessions == [early, today]
    assert sessions[1].staffed == 1
    page = response.content.decode()
    section = page[page.index('id="today"') : page.index('id="requests-heading"')]
    assert "南橘公民館" in section
    assert "1 of 3 supporters" in section
    assert "2 places open" in section


def test_a_coordinator_sees_pending_requests_linked_to_the_admin(client, coordinator):
    pending = factories.dispatch_request(group_name="大手町サロン")
    accepted = factories.dispatch_request(status=DispatchRequest.Status.ACCEPTED)
    declined = factories.dispatch_request(status=DispatchRequest.Status.DECLINED)
    client.force_login(coordinator)

    response = client.get(reverse("home"))

    page = response.content.decode()
    assert pending.reference in page
    assert "大手町サロン" in page
    assert accepted.reference in page
    assert declined.reference not in page
    detail_url = reverse("helpdesk_sessions:request_detail", args=[pending.pk])
    assert f'href="{detail_url}"' in page
    assert f'href="{reverse("admin:index")}"' in page


def test_a_coordinator_is_told_how_many_requests_wait_beyond_the_list(client, coordinator):
    for _ in range(12):
        factories.dispatch_request()
    client.force_login(coordinator)

    response = client.get(reverse("home"))

    assert len(response.context["pending_requests"]) == 10
    assert response.context["pending_count"] == 12
    assert reverse("helpdesk_sessions:requests") in response.content.decode()


def test_a_stranger_sees_only_the_public_page(client, stranger, resident):
    private_data(resident)
    client.force_login(stranger)

    page = client.get(reverse("home")).content.decode()

    assert 'id="helpdesks"' in page
    assert 'id="today"' not in page
    assert 'id="my-shifts"' not in page
    assert "秘密 太郎" not in page


def make_data(size, supporter):
    """`size` venues, each with `size` help-desk dates, shifts, and pending requests."""
    colleague = factories.supporter()
    for n in range(size):
        venue = factories.venue()
        for day in range(size):
            session = helpdesk(venue, day, hour=9 + n % 8)
            factories.shift(session=session, supporter=supporter)
            factories.shift(session=session, supporter=colleague)
        factories.dispatch_request()
        factories.session(kind=Session.Kind.CLASS, venue=venue, starts_at=at(n, 14))


# Signed in: session, user, supporter profile, two for permissions. Everyone: venues and their
# dates. A supporter: their shifts. A coordinator (here a supporter too): today's sessions and
# the pending requests with their count. Anonymous: the public content version, then (a cache
# miss here, the data having just changed) venues and dates; a hit is pinned in
# test_public_pages_come_from_a_cache.py.
QUERIES = {"anonymous": 3, "supporter": 8, "coordinator": 11, "stranger": 7}


@pytest.mark.parametrize("role", QUERIES)
@pytest.mark.parametrize("size", [1, 12])
def test_the_home_page_reads_a_fixed_number_of_queries(
    client, db, django_assert_max_num_queries, role, size
):
    coordinator = factories.coordinator()
    supporter = factories.supporter(user=coordinator) if role == "coordinator" else None
    supporter = supporter or factories.supporter()
    make_data(size, supporter)
    if role == "supporter":
        client.force_login(supporter.user)
    elif role == "coordinator":
        client.force_login(coordinator)
    elif role == "stranger":
        client.force_login(factories.user())
    public_version()

    with django_assert_max_num_queries(QUERIES[role]):
        response = client.get(reverse("home"))

    assert response.status_code == 200
    assert len(response.context["helpdesk_venues"]) == size
