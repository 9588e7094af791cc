"""A supporter says when they are usually free (issue 10, "Finding supporters"): optional, on
their own page or through the API, and used only to suggest them for group visits."""

import pytest
from django.urls import reverse

from supporters.models import Availability
from supporters.services import AvailabilityError, set_availability
from tests import factories
from tests.pages import parse, unlabelled_fields

PAGE = reverse("supporters:availability")
API = "/api/me/availability"


def slots_of(supporter) -> list[tuple[int, str]]:
    return list(
        Availability.objects.filter(supporter=supporter)
        .order_by("weekday", "part")
        .values_list("weekday", "part")
    )


def test_the_page_has_a_labelled_checkbox_per_weekday_and_part_of_the_day(supporter_client):
    response = supporter_client.get(PAGE)

    page = parse(response)
    boxes = [attrs for tag, attrs in page.fields if attrs.get("type") == "checkbox"]
    assert len(boxes) == 14
    assert {box["value"] for box in boxes} >= {"0-morning", "1-afternoon", "6-afternoon"}
    assert unlabelled_fields(page) == []
    html = response.content.decode()
    assert "<legend>火曜日</legend>" in html
    assert "入力は任意です" in html
    assert "出張サポートの候補を選ぶときの参考にだけ使い" in html


def test_the_page_is_a_plain_form_that_needs_no_javascript(supporter_client):
    page = parse(supporter_client.get(PAGE))

    forms = [attrs for tag, attrs in page.tags if tag == "form" and attrs.get("action") == PAGE]
    assert [form["method"] for form in forms] == ["post"]
    boxes = [attrs for tag, attrs in page.fields if attrs.get("type") == "checkbox"]
    assert {box["name"] for box in boxes} == {"slots"}
    assert ("button", {"class": "button button--primary", "type": "submit"}) in page.tags


def test_ticking_boxes_saves_them_and_the_page_shows_them_ticked(supporter_client, supporter):
    response = supporter_client.post(PAGE, {"slots": ["1-afternoon", "3-morning"]}, follow=True)

    assert slots_of(supporter) == [(1, "afternoon"), (3, "morning")]
    assert response.redirect_chain[-1][0] == PAGE
    ticked = {
        attrs["value"]
        for tag, attrs in parse(response).fields
        if attrs.get("type") == "checkbox" and "checked" in attrs
    }
    assert ticked == {"1-afternoon", "3-morning"}


def test_saving_again_replaces_the_times_and_unticking_all_clears_them(supporter_client, supporter):
    supporter_client.post(PAGE, {"slots": ["0-morning", "1-morning"]})
    supporter_client.post(PAGE, {"slots": ["4-afternoon"]})
    assert slots_of(supporter) == [(4, "afternoon")]

    supporter_client.post(PAGE, {})

    assert slots_of(supporter) == []


def test_a_made_up_time_is_refused_and_nothing_changes(supporter_client, supporter):
    set_availability(supporter, [(2, "morning")], by=supporter.user)

    response = supporter_client.post(PAGE, {"slots": ["7-morning", "2-evening"]})

    assert response.status_code == 200
    assert response.context["form"].errors["slots"]
    assert slots_of(supporter) == [(2, "morning")]


def test_the_page_is_for_supporters(client, coordinator, stranger):
    client.force_login(coordinator)
    assert client.get(PAGE).status_code == 403
    client.force_login(stranger)
    assert client.get(PAGE).status_code == 403


def test_a_coordinator_may_set_a_supporters_times_and_nobody_else(supporter, coordinator):
    set_availability(supporter, [(5, "morning")], by=coordinator)
    assert slots_of(supporter) == [(5, "morning")]

    other = factories.supporter()
    with pytest.raises(AvailabilityError) as refused:
        set_availability(supporter, [(0, "morning")], by=other.user)

    assert refused.value.code == "forbidden"
    assert slots_of(supporter) == [(5, "morning")]


@pytest.mark.parametrize("slot", [(7, "morning"), (-1, "morning"), (1, "evening"), ("1", "am")])
def test_the_service_refuses_a_time_that_does_not_exist_and_keeps_the_old_ones(supporter, slot):
    set_availability(supporter, [(2, "afternoon")], by=supporter.user)

    with pytest.raises(AvailabilityError) as refused:
        set_availability(supporter, [(0, "morning"), slot], by=supporter.user)

    assert refused.value.code == "invalid"
    assert slots_of(supporter) == [(2, "afternoon")]


def test_a_supporter_reads_and_replaces_their_times_through_the_api(supporter_client, supporter):
    assert supporter_client.get(API).json() == {"slots": []}

    body = {"slots": [{"weekday": 1, "part": "afternoon"}, {"weekday": 0, "part": "morning"}]}
    response = supporter_client.put(API, body, content_type="application/json")

    assert response.status_code == 200
    expected = [{"weekday": 0, "part": "morning"}, {"weekday": 1, "part": "afternoon"}]
    assert response.json() == {"slots": expected}
    assert supporter_client.get(API).json() == {"slots": expected}
    cleared = supporter_client.put(API, {"slots": []}, content_type="application/json")
    assert cleared.json() == {"slots": []}
    assert slots_of(supporter) == []


def test_the_api_refuses_a_bad_weekday_or_part_with_details(supporter_client, supporter):
    set_availability(supporter, [(2, "afternoon")], by=supporter.user)
    body = {"slots": [{"weekday": 7, "part": "morning"}, {"weekday": 1, "part": "evening"}]}

    response = supporter_client.put(API, body, content_type="application/json")

    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    fields = {detail["field"] for detail in response.json()["details"]}
    assert fields == {"slots.0.weekday", "slots.1.part"}
    assert slots_of(supporter) == [(2, "afternoon")]


def test_the_api_is_for_supporters(client, coordinator):
    assert client.get(API).status_code == 401

    client.force_login(coordinator)
    response = client.put(API, {"slots": []}, content_type="application/json")

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
