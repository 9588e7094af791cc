"""A coordinator finds supporters for a scheduled group visit (issue 10, "Finding supporters"):
ranked suggestions on hand-built supporters, each criterion deciding an order, with the reasons
in words, in Japanese and in English, through the service, the page's partial and the API.

Everyone starts alike (level 3, a far district, no skills, no usual times, no shifts); each
test changes one thing.
"""

from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from sessions.models import DispatchRequest, Session, Shift
from sessions.services import RequestError, Suggestion, suggest_supporters
from supporters.models import Supporter
from supporters.services import set_availability
from tests import clock, factories
from tests.pages import PageParser, unlabelled_fields

# A Tuesday afternoon three weeks after the clock's Monday, in fiscal year 2026.
VISIT = clock.JUNE_MONDAY_10AM.replace(hour=14) + timedelta(days=22)
LAST_FISCAL_YEAR = clock.JUNE_MONDAY_10AM.replace(month=2, hour=10)


@pytest.fixture
def monday_10am():
    return clock.JUNE_MONDAY_10AM


@pytest.fixture(autouse=True)
def _now(monday_morning):
    """The clock stopped on the Monday of the June week, three weeks before the visit; the
    service's reasons read in Japanese, the default, unless a test asks for English."""
    with translation.override("ja"):
        yield


@pytest.fixture
def east(db):
    """The visit's district, 東, whose only neighbour here is 桂萱; 粕川 is far."""
    district = factories.district(code="azuma", name="東")
    district.neighbours.set([factories.district(code="kaigaya", name="桂萱")])
    factories.district(code="kasukawa", name="粕川").neighbours.clear()
    return district


@pytest.fixture
def far(east):
    return factories.district(code="kasukawa")


@pytest.fixture
def visit(east) -> DispatchRequest:
    return factories.scheduled_visit(starts_at=VISIT, district=east)


def person(kana: str, far, **kwargs) -> Supporter:
    """A supporter like every other, but for `kwargs`; `kana` orders names (あ before い)."""
    fields = {"given_name": kana, "given_name_kana": kana, "district": far, **kwargs}
    return factories.supporter(family_name_kana="まえばし", **fields)


def order(visit) -> list[str]:
    return [suggestion.supporter.given_name for suggestion in suggest_supporters(visit)]


def suggestion_of(visit, supporter) -> Suggestion:
    return next(s for s in suggest_supporters(visit) if s.supporter == supporter)


def place_on(supporter, starts_at, **kwargs) -> Shift:
    session = factories.session(starts_at=starts_at, ends_at=starts_at + timedelta(hours=2))
    return factories.shift(session=session, supporter=supporter, **kwargs)


# Each criterion decides an order -------------------------------------------------------------


def test_a_supporter_with_another_shift_at_that_time_comes_last_and_says_so(visit, far):
    busy = person("あ", far, training_level=5)
    person("い", far)
    place_on(busy, VISIT - timedelta(minutes=30))

    assert order(visit) == ["い", "あ"]
    suggestion = suggestion_of(visit, busy)
    assert suggestion.is_free is False
    assert suggestion.can_be_invited is False
    assert suggestion.reasons[0] == "同じ時間に別のシフトがあります"
    assert suggestion_of(visit, Supporter.objects.get(given_name="い")).reasons[0] == (
        "その時間は空いています"
    )


def test_a_cancelled_or_earlier_shift_does_not_make_a_supporter_busy(visit, far):
    person("あ", far)
    cancelled = person("い", far)
    earlier = person("う", far)
    place_on(cancelled, VISIT, status=Shift.Status.CANCELLED)
    place_on(earlier, VISIT - timedelta(hours=3))

    assert all(s.is_free for s in suggest_supporters(visit))
    assert order(visit) == ["あ", "い", "う"]


def test_a_higher_training_level_comes_first_and_below_the_visits_minimum_is_left_out(visit, far):
    person("あ", far, training_level=2)
    person("い", far, training_level=4)
    person("う", far, training_level=3)
    assert order(visit) == ["い", "う", "あ"]

    Session.objects.filter(pk=visit.session_id).update(min_level=3)

    assert order(visit) == ["い", "う"]
    assert "研修レベル4" in suggestion_of(visit, Supporter.objects.get(given_name="い")).reasons


def test_only_active_and_insured_supporters_are_suggested(visit, far):
    person("あ", far)
    person("い", far, status=Supporter.Status.PAUSED, paused_on=clock.JUNE_MONDAY_10AM.date())
    person("う", far, insurance_valid_until=VISIT.date() - timedelta(days=1))
    person("え", far, insurance_valid_until=None)

    assert order(visit) == ["あ"]


def test_a_skill_that_helps_with_the_groups_topic_comes_first(visit, far):
    line = factories.skill("line", name="LINE")
    factories.topic("line", name="LINE").skills.set([line])
    visit.topics.set([factories.topic("line")])
    person("あ", far)
    person("い", far, training_level=2).skills.set([line, factories.skill("zoom", name="Zoom")])

    assert order(visit) == ["い", "あ"]
    assert "LINEが得意" in suggestion_of(visit, Supporter.objects.get(given_name="い")).reasons


def test_a_skill_for_a_device_the_group_brings_comes_first_by_its_code(visit, far):
    DispatchRequest.objects.filter(pk=visit.pk).update(devices=["iphone", "rakuraku"])
    visit.refresh_from_db()
    person("あ", far).skills.set([factories.skill("android", name="Android")])
    person("い", far).skills.set([factories.skill("iphone", name="iPhone")])
    both = person("う", far)
    rakuraku = factories.skill("rakuraku", name="らくらくスマホ", sort_order=90)
    both.skills.set([factories.skill("iphone"), rakuraku])

    assert order(visit) == ["う", "い", "あ"]
    assert "iPhone・らくらくスマホが得意" in suggestion_of(visit, both).reasons


def test_topic_and_device_skills_are_named_together_and_count_at_most_three(visit, far):
    skills = [factories.skill(code, name=code.upper()) for code in ("line", "photos", "pc")]
    topic = factories.topic("line")
    topic.skills.set(skills)
    visit.topics.set([topic])
    DispatchRequest.objects.filter(pk=visit.pk).update(devices=["iphone"])
    visit.refresh_from_db()
    many = person("あ", far)
    many.skills.set([*skills, factories.skill("iphone", name="iPhone")])
    three = person("い", far)
    three.skills.set(skills)

    assert suggestion_of(visit, many).score == suggestion_of(visit, three).score


def test_a_supporter_who_speaks_the_groups_language_comes_first(east, far):
    from supporters.models import SpokenLanguage

    visit = factories.scheduled_visit(starts_at=VISIT, district=east)
    # Vietnamese is a language the group may ask for, not one the app's texts are written in.
    DispatchRequest.objects.filter(pk=visit.pk).update(preferred_language="vi")
    visit.refresh_from_db()
    vietnamese = SpokenLanguage.objects.get_or_create(code="vi", defaults={"name": "Tiếng Việt"})[0]
    person("あ", far, training_level=5)
    person("い", far).languages.set([vietnamese])

    assert order(visit) == ["い", "あ"]
    assert (
        "ベトナム語が話せます"
        in suggestion_of(visit, Supporter.objects.get(given_name="い")).reasons
    )


def test_japanese_asked_for_favours_nobody(visit, far):
    from supporters.models import SpokenLanguage

    japanese = SpokenLanguage.objects.get_or_create(code="ja", defaults={"name": "日本語"})[0]
    person("あ", far)
    person("い", far).languages.set([japanese])

    assert order(visit) == ["あ", "い"]
    assert len({s.score for s in suggest_supporters(visit)}) == 1


def test_the_same_district_comes_before_a_neighbouring_one_before_a_far_one(visit, east, far):
    person("あ", far)
    person("い", factories.district(code="kaigaya"))
    person("う", east)

    assert order(visit) == ["う", "い", "あ"]
    reasons = {s.supporter.given_name: s.reasons for s in suggest_supporters(visit)}
    assert "同じ地区（東）" in reasons["う"]
    assert "隣の地区（桂萱）" in reasons["い"]
    assert not any("地区" in reason for reason in reasons["あ"])


def test_a_supporter_usually_free_on_that_weekday_and_part_of_the_day_comes_first(visit, far):
    person("あ", far)
    morning = person("い", far)
    afternoon = person("う", far)
    set_availability(morning, [(1, "morning"), (2, "afternoon")], by=None)
    set_availability(afternoon, [(1, "afternoon")], by=None)

    assert order(visit) == ["う", "あ", "い"]
    assert "火曜日の午後は大体空いています" in suggestion_of(visit, afternoon).reasons
    assert not any("大体" in reason for reason in suggestion_of(visit, morning).reasons)


def test_fewer_places_held_this_fiscal_year_come_first(visit, far):
    one = person("あ", far)
    three = person("い", far)
    none = person("う", far)
    place_on(one, clock.JUNE_MONDAY_10AM - timedelta(days=20))
    for week in range(3):
        place_on(three, clock.JUNE_MONDAY_10AM + timedelta(days=2 + week * 7))
    # Not counted: last fiscal year's, a cancelled place, a cancelled session, a place in line.
    place_on(none, LAST_FISCAL_YEAR)
    place_on(none, clock.JUNE_MONDAY_10AM + timedelta(days=2), status=Shift.Status.CANCELLED)
    called_off = place_on(none, clock.JUNE_MONDAY_10AM + timedelta(days=3))
    Session.objects.filter(pk=called_off.session_id).update(status=Session.Status.CANCELLED)
    place_on(
        none,
        clock.JUNE_MONDAY_10AM + timedelta(days=4),
        status=Shift.Status.WAITLISTED,
        waitlist_position=1,
    )

    assert order(visit) == ["う", "あ", "い"]
    counts = {s.supporter.given_name: s.shifts_this_year for s in suggest_supporters(visit)}
    assert counts == {"う": 0, "あ": 1, "い": 3}
    assert "今年度の活動 3回" in suggestion_of(visit, three).reasons


def test_equal_scores_go_to_fewer_shifts_then_by_name(visit, far):
    busier = person("あ", far)
    quieter = person("い", far)
    # Both past the most the load takes off, so their scores are equal.
    for n in range(12):
        place_on(busier, clock.JUNE_MONDAY_10AM - timedelta(days=1 + n))
    for n in range(11):
        place_on(quieter, clock.JUNE_MONDAY_10AM - timedelta(days=1 + n))
    person("う", far, given_name_kana="う")
    person("え", far, given_name_kana="え")

    suggestions = suggest_supporters(visit)

    assert suggestion_of(visit, busier).score == suggestion_of(visit, quieter).score
    assert [s.supporter.given_name for s in suggestions] == ["う", "え", "い", "あ"]


def test_those_already_on_the_visit_come_at_the_very_end_and_say_so(visit, far):
    on_it = person("あ", far, training_level=5)
    busy = person("い", far)
    person("う", far)
    factories.shift(session=visit.session, supporter=on_it)
    place_on(busy, VISIT)

    suggestions = suggest_supporters(visit)

    assert [s.supporter.given_name for s in suggestions] == ["う", "い", "あ"]
    assert suggestions[-1].on_roster is True
    assert suggestions[-1].reasons[0] == "すでにこの訪問の担当です"
    assert suggest_supporters(visit, limit=2)[-1].supporter == busy


def test_the_reasons_read_in_english_too(visit, east):
    line = factories.skill("line", name="LINE")
    topic = factories.topic("line")
    topic.skills.set([line])
    visit.topics.set([topic])
    supporter = person("あ", east, training_level=4)
    supporter.skills.set([line])
    set_availability(supporter, [(1, "afternoon")], by=None)
    place_on(supporter, clock.JUNE_MONDAY_10AM + timedelta(days=2))

    with translation.override("en"):
        reasons = suggest_supporters(visit)[0].reasons

    assert reasons == [
        "Free at that time",
        "Training level 4",
        "Good with LINE",
        "Same district (東)",
        "Usually free on Tuesday (Afternoon)",
        "1 shift this fiscal year",
    ]


def test_a_request_without_a_date_has_no_suggestions_yet(db):
    request = factories.dispatch_request()

    with pytest.raises(RequestError) as refused:
        suggest_supporters(request)

    assert refused.value.code == "not_scheduled"


# The page's partial ---------------------------------------------------------------------------


def test_the_partial_lists_each_suggestion_with_its_reasons_and_a_labelled_checkbox(visit, far):
    first = person("あ", far)
    on_it = person("い", far)
    factories.shift(session=visit.session, supporter=on_it)

    html = render_to_string(
        "sessions/_suggestions.html",
        {"suggestions": suggest_supporters(visit), "ticked": [first.pk]},
    )

    page = PageParser()
    page.feed(html)
    boxes = [attrs for tag, attrs in page.fields if attrs.get("type") == "checkbox"]
    assert [(box["name"], box["value"], "checked" in box) for box in boxes] == [
        ("supporters", str(first.pk), True)
    ]
    assert unlabelled_fields(page) == []
    assert "その時間は空いています" in html
    assert "すでにこの訪問の担当です" in html
    assert on_it.full_name in html


# The API --------------------------------------------------------------------------------------


def url(visit) -> str:
    return f"/api/dispatch-requests/{visit.pk}/suggestions"


def test_a_coordinator_gets_the_ranked_suggestions_as_json(coordinator_client, visit, east, far):
    near = person("あ", east, training_level=4)
    person("い", far)
    place_on(near, clock.JUNE_MONDAY_10AM + timedelta(days=2))

    response = coordinator_client.get(url(visit))

    assert response.status_code == 200
    first, second = response.json()
    assert first == {
        "supporter": {
            "id": near.pk,
            "name": near.full_name,
            "training_level": 4,
            "district": {"code": "azuma", "name": "東"},
        },
        "score": first["score"],
        "reasons": [
            "その時間は空いています",
            "研修レベル4",
            "同じ地区（東）",
            "今年度の活動 1回",
        ],
        "is_free": True,
        "on_roster": False,
        "shifts_this_year": 1,
    }
    assert first["score"] > second["score"]


def test_the_api_speaks_english_when_asked(coordinator_client, visit, far):
    person("あ", far)

    response = coordinator_client.get(url(visit), headers={"accept-language": "en"})

    assert response.json()[0]["reasons"][0] == "Free at that time"


def test_suggestions_are_for_coordinators_only(client, visit, supporter):
    assert client.get(url(visit)).status_code == 401

    client.force_login(supporter.user)
    response = client.get(url(visit))

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_an_unknown_request_is_404_and_one_without_a_date_409(coordinator_client, db):
    assert coordinator_client.get("/api/dispatch-requests/999999/suggestions").status_code == 404

    response = coordinator_client.get(url(factories.dispatch_request()))

    assert response.status_code == 409
    assert response.json()["code"] == "not_scheduled"


# A fixed number of queries --------------------------------------------------------------------


def roster_of(count: int, visit, east, far) -> None:
    """`count` supporters with skills, languages, usual times and shifts of every kind."""
    from supporters.models import SpokenLanguage

    line = factories.skill("line", name="LINE")
    topic = factories.topic("line")
    topic.skills.set([line])
    visit.topics.set([topic])
    vietnamese = SpokenLanguage.objects.get_or_create(code="vi", defaults={"name": "Tiếng Việt"})[0]
    DispatchRequest.objects.filter(pk=visit.pk).update(preferred_language="vi", devices=["iphone"])
    earlier = factories.session(starts_at=clock.JUNE_MONDAY_10AM - timedelta(days=3))
    clash = factories.session(starts_at=VISIT, ends_at=VISIT + timedelta(hours=1))
    for n in range(count):
        supporter = person(f"{n:03d}", east if n % 2 else far)
        supporter.skills.set([line, factories.skill("iphone")])
        supporter.languages.set([vietnamese])
        set_availability(supporter, [(1, "afternoon"), (n % 7, "morning")], by=None)
        factories.shift(session=earlier, supporter=supporter)
        if n % 3 == 0:
            factories.shift(session=clash, supporter=supporter)
        if n % 5 == 0:
            factories.shift(session=visit.session, supporter=supporter)


def test_the_suggestions_take_a_fixed_number_of_queries(
    visit, east, far, django_assert_max_num_queries
):
    roster_of(3, visit, east, far)
    visit.refresh_from_db()
    with django_assert_max_num_queries(6) as few:
        assert len(suggest_supporters(visit)) == 3

    roster_of(27, visit, east, far)
    visit.refresh_from_db()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(suggest_supporters(visit)) == 30


def test_the_suggestions_endpoint_takes_a_fixed_number_of_queries(
    coordinator_client, visit, east, far, django_assert_max_num_queries
):
    roster_of(3, visit, east, far)
    with django_assert_max_num_queries(20) as few:
        assert len(coordinator_client.get(url(visit)).json()) == 3

    roster_of(27, visit, east, far)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(coordinator_client.get(url(visit)).json()) == 30


# Neighbouring districts ----------------------------------------------------------------------


def test_maebashis_sixteen_districts_come_with_their_neighbours_both_ways(db):
    from venues.models import District

    districts = {d.code: d for d in District.objects.prefetch_related("neighbours")}
    assert len(districts) == 16
    neighbours = {code: {n.code for n in d.neighbours.all()} for code, d in districts.items()}
    assert all(neighbours.values())
    assert all(code in neighbours[other] for code, near in neighbours.items() for other in near)
    assert {"honcho", "kaigaya", "jonan"} <= neighbours["azuma"]
    assert "kasukawa" not in neighbours["azuma"]


def test_a_visit_in_no_district_favours_no_district(far):
    visit = factories.scheduled_visit(starts_at=VISIT, district=None)
    person("あ", far)
    person("い", factories.district(code="azuma"))

    assert order(visit) == ["あ", "い"]
    assert not any("地区" in r for s in suggest_supporters(visit) for r in s.reasons)
