"""A resident who has never used the site finds a help desk (issue 11): the venues, one venue's
page (where, how to get there, when, what to bring, a date called off as 中止) and its A4 month
with a QR code to the page; public, cached, in a fixed number of queries."""

import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from config.fiscal import TOKYO
from sessions.services import cancel_session, generate_sessions
from tests import factories
from tests.pages import parse, third_party_urls
from tests.versions import settle_public_version

# Monday 1 June 2026, 9:00 in Tokyo.
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=TOKYO)


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def venue(db):
    hall = factories.venue(
        name="東公民館",
        address="前橋市東片貝町28-1",
        latitude=Decimal("36.389400"),
        longitude=Decimal("139.080100"),
        access_notes="関越交通バス「東公民館前」下車すぐ。駐車場50台。",
        accessibility_notes="正面玄関にスロープ、1階に多目的トイレがあります。",
        has_wifi=True,
        wifi_notes="「Maebashi Free Wi-Fi」",
    )
    schedule = factories.schedule(venue=hall, valid_from=date(2026, 4, 1))
    generate_sessions(schedule, date(2026, 4, 1), date(2026, 9, 30))
    return hall


def desk_on(venue, day):
    return venue.sessions.get(starts_at__date=day)


def text_of(response) -> str:
    """The page's text, tags dropped and white space made single spaces."""
    main = response.content.decode().split("<main", 1)[1]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


def test_the_venues_page_lists_each_help_desk_with_its_rule_and_next_dates(client, venue):
    factories.venue(name="中央公民館", is_helpdesk=False)
    factories.venue(name="閉館した公民館", is_active=False)

    page = client.get(reverse("helpdesk_sessions:venues"))

    text = text_of(page)
    assert "東公民館" in text
    assert "第2・第4火曜日 10:00–12:00" in text
    assert "6月9日 (火) 10:00–12:00" in text
    assert "中央公民館" not in text
    assert "閉館した公民館" not in text
    assert reverse("helpdesk_sessions:venue", args=[venue.pk]) in page.content.decode()
    assert third_party_urls(parse(page)) == []


def test_the_home_page_links_each_venue_to_its_page(client, venue):
    page = client.get(reverse("home")).content.decode()

    assert reverse("helpdesk_sessions:venue", args=[venue.pk]) in page
    assert reverse("helpdesk_sessions:venues") in page


def test_a_venue_page_tells_a_newcomer_where_when_and_what_to_bring(client, venue):
    page = client.get(reverse("helpdesk_sessions:venue", args=[venue.pk]))

    text = text_of(page)
    assert "前橋市東片貝町28-1" in text
    assert "東公民館前" in text
    assert "スロープ" in text
    assert "Maebashi Free Wi-Fi" in text
    assert "第2・第4火曜日 10:00–12:00" in text
    assert "予約" in text  # no booking needed
    assert "スマートフォン" in text  # what to bring
    # The map is a plain link, the one address elsewhere, and nothing loads from it.
    parsed = parse(page)
    assert third_party_urls(parsed) == [venue.openstreetmap_url]
    [(tag, _attrs)] = [(t, a) for t, a in parsed.tags if a.get("href") == venue.openstreetmap_url]
    assert tag == "a"


def test_a_date_called_off_shows_as_cancelled_with_its_reason_until_the_day_has_passed(
    client, venue, time_machine
):
    day = desk_on(venue, date(2026, 6, 9))
    cancel_session(day, by=None, reason="大雪のため")
    url = reverse("helpdesk_sessions:venue", args=[venue.pk])

    before = text_of(client.get(url))
    assert "6月9日 (火) 10:00–12:00 中止 大雪のため" in before
    time_machine.move_to(datetime(2026, 6, 9, 8, 0, tzinfo=TOKYO), tick=False)  # the morning of
    assert "中止 大雪のため" in text_of(client.get(url))
    # After the hours it would have run, still that day: a resident who comes is told why.
    time_machine.move_to(datetime(2026, 6, 9, 15, 0, tzinfo=TOKYO), tick=False)
    assert "中止 大雪のため" in text_of(client.get(url))
    time_machine.move_to(datetime(2026, 6, 10, 8, 0, tzinfo=TOKYO), tick=False)  # the day after
    after = text_of(client.get(url))
    assert "中止" not in after
    assert "6月23日 (火)" in after


def test_an_inactive_or_unknown_venue_has_no_page_and_only_a_help_desk_a_month(client, venue):
    retired = factories.venue(is_active=False)

    assert client.get(reverse("helpdesk_sessions:venue", args=[retired.pk])).status_code == 404
    assert client.get(reverse("helpdesk_sessions:venue", args=[99999])).status_code == 404
    hall = factories.venue(is_helpdesk=False)
    assert client.get(reverse("helpdesk_sessions:venue", args=[hall.pk])).status_code == 200
    assert client.get(reverse("helpdesk_sessions:venue_print", args=[hall.pk])).status_code == 404


def test_the_print_page_is_the_months_dates_on_a4_with_a_qr_code_to_the_venue(client, venue):
    cancel_session(desk_on(venue, date(2026, 7, 28)), by=None, reason="館内工事")

    page = client.get(
        reverse("helpdesk_sessions:venue_print", args=[venue.pk]), {"month": "2026-07"}
    )

    html = page.content.decode()
    text = text_of(page)
    assert "2026年7月" in text
    assert "7月14日 (火) 10:00–12:00" in text
    assert "7月28日 (火) 10:00–12:00 中止 館内工事" in text
    assert "6月9日" not in text
    assert 'role="img" aria-label="東公民館のページを開くQRコード"' in html
    assert f"http://testserver/venues/{venue.pk}/" in text
    assert "css/venue_print.css" in html
    assert "?month=2026-06" in html
    assert "?month=2026-08" in html
    assert third_party_urls(parse(page)) == []


def test_the_print_stylesheet_sets_an_a4_page_and_hides_the_navigation():
    css = (Path(__file__).parent.parent / "config/static/css/venue_print.css").read_text()

    assert "size: A4" in css
    assert "@media print" in css
    assert ".site-header" in css


def test_the_print_page_defaults_to_this_month_and_refuses_a_bad_month(client, venue):
    url = reverse("helpdesk_sessions:venue_print", args=[venue.pk])

    assert "6月9日 (火)" in text_of(client.get(url))
    assert client.get(url, {"month": "2026-13"}).status_code == 400
    assert client.get(url, {"month": "juli"}).status_code == 400


@pytest.mark.parametrize("size", [1, 8])
def test_the_venue_pages_cost_a_fixed_number_of_queries(
    client, db, django_assert_max_num_queries, size
):
    for _ in range(size):
        hall = factories.venue()
        schedule = factories.schedule(venue=hall, weeks_of_month="1,2,3,4,5")
        generate_sessions(schedule, date(2026, 6, 1), date(2026, 12, 31))
        cancel_session(hall.sessions.order_by("starts_at").first(), by=None, reason="雪")

    # The public content version, the venues with their district, schedules and next dates.
    settle_public_version()
    with django_assert_max_num_queries(4):
        listed = client.get(reverse("helpdesk_sessions:venues"))
    with django_assert_max_num_queries(4):
        one = client.get(reverse("helpdesk_sessions:venue", args=[hall.pk]))
    # The version, the venue, its schedules and the month's dates.
    with django_assert_max_num_queries(4):
        printed = client.get(reverse("helpdesk_sessions:venue_print", args=[hall.pk]))

    assert listed.content.decode().count('class="dates__cancelled"') == size
    assert "中止" in text_of(one)
    assert printed.status_code == 200
