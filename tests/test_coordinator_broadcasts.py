"""A coordinator writes to chosen supporters ("the Tuesday help desk at 東公民館 is cancelled"):
chooses them by district, skill, a session's roster or by name, previews the count, the parts
and the cost, then sends; opt-outs are respected and the count of those skipped is told."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications.models import OptOut, OutboundMessage
from sessions.models import Shift
from supporters.broadcasts import broadcast_recipients
from supporters.models import Supporter
from tests import factories
from tests.clock import MONDAY_10AM, TUESDAY_10AM

pytestmark = pytest.mark.usefixtures("monday_morning")

BROADCAST = reverse("supporters:broadcast")
CANCELLED = "火曜日の東公民館のよろず相談所は中止です。"


@pytest.fixture
def higashi(db):
    return factories.district(code="azuma", name="東")


@pytest.fixture
def jonan(db):
    return factories.district(code="jonan", name="城南")


def preview(client, **data):
    return client.post(
        BROADCAST, {"text": CANCELLED, "step": "preview", **data}, headers={"accept-language": "en"}
    )


def send(client, preview_response):
    """Press "Send" on a preview page: its hidden fields, as the browser posts them."""
    form = preview_response.context["form"]
    data = {"step": "send"}
    for field in form:
        value = field.value()
        if value not in (None, "", []):
            data[field.html_name] = value
    return client.post(BROADCAST, data, headers={"accept-language": "en"}, follow=True)


def page_text(response) -> str:
    return response.content.decode()


def broadcasts():
    return OutboundMessage.objects.filter(purpose=OutboundMessage.Purpose.BROADCAST)


# --- Choosing who ----------------------------------------------------------------------------


def test_supporters_are_chosen_by_district_and_skill_and_each_gets_it_once(higashi, jonan):
    line, iphone = factories.skill("line"), factories.skill("iphone")
    east_line = factories.supporter(district=higashi)
    east_line.skills.add(line, iphone)
    east_iphone = factories.supporter(district=higashi)
    east_iphone.skills.add(iphone)
    south_line = factories.supporter(district=jonan)
    south_line.skills.add(line)
    factories.supporter(district=higashi, status=Supporter.Status.PAUSED, paused_on=MONDAY_10AM)

    assert set(broadcast_recipients(districts=[higashi])) == {east_line, east_iphone}
    assert set(broadcast_recipients(skills=[line])) == {east_line, south_line}
    assert set(broadcast_recipients(districts=[higashi], skills=[line, iphone])) == {
        east_line,
        east_iphone,
    }
    assert set(broadcast_recipients(districts=[higashi], skills=[line])) == {east_line}
    assert broadcast_recipients(everyone=True, supporters=[east_line]).count() == 3


def test_a_sessions_roster_includes_the_waiting_list_but_not_those_who_cancelled(db):
    session = factories.session(starts_at=TUESDAY_10AM)
    signed_up = factories.shift(session=session)
    waiting = factories.shift(session=session, status=Shift.Status.WAITLISTED, waitlist_position=1)
    factories.shift(session=session, status=Shift.Status.CANCELLED)
    picked = factories.supporter()

    chosen = broadcast_recipients(session=session, supporters=[picked, signed_up.supporter])

    assert set(chosen) == {signed_up.supporter, waiting.supporter, picked}


def test_the_form_refuses_a_message_to_no_one(coordinator_client):
    response = preview(coordinator_client)

    assert response.status_code == 200
    assert "Choose who gets the message" in page_text(response)
    assert not broadcasts().exists()


def test_the_form_lists_coming_sessions_with_their_day_and_place(coordinator_client):
    factories.session(starts_at=TUESDAY_10AM, venue=factories.venue(name="東公民館"))
    factories.session(starts_at=MONDAY_10AM - timedelta(days=2))  # over

    response = coordinator_client.get(BROADCAST, headers={"accept-language": "en"})

    choices = [label for value, label in response.context["form"].fields["session"].choices]
    assert choices[1:] == ["3/10 (Tue) 10:00 東公民館 · Help desk"]


# --- Preview, then send ----------------------------------------------------------------------


def test_the_preview_shows_recipients_parts_and_cost_and_sends_nothing(
    coordinator_client, higashi, settings
):
    settings.SMS_PRICE_PER_SEGMENT = Decimal("12")
    for _ in range(3):
        factories.supporter(district=higashi)
    factories.supporter(district=higashi, sms_opt_in=False)
    english = factories.supporter(district=higashi, user_kwargs={"language": "en"})
    long_text = (
        "東公民館の相談所は、空調工事のため三月十日（火）はお休みです。" * 2
    )  # > 70 characters

    response = preview(coordinator_client, districts=["azuma"], text=long_text)

    result = response.context["preview"]
    assert (result["recipients"], result["skipped"]) == (4, 1)
    japanese, in_english = result["texts"]
    assert (japanese["language"], japanese["recipients"], japanese["segments"]) == ("ja", 3, 2)
    assert (in_english["language"], in_english["recipients"]) == ("en", 1)
    assert long_text in japanese["text"]
    assert result["segments"] == 3 * 2 + in_english["segments"]
    assert result["cost"] == Decimal("12") * result["segments"]
    text = page_text(response)
    assert "4 supporters get this text" in text
    assert "1 supporter you chose will not get it" in text
    assert f"about ¥{result['cost']:.0f}" in text
    assert "Send to 4 supporters" in text
    assert english.user.phone not in text
    assert not broadcasts().exists()


def test_sending_queues_one_text_each_and_says_how_many_were_skipped(coordinator_client, higashi):
    keen = [factories.supporter(district=higashi) for _ in range(2)]
    opted_out = factories.supporter(district=higashi)
    OptOut.objects.create(phone=opted_out.phone)
    factories.supporter(district=higashi, sms_opt_in=False)
    factories.supporter(district=higashi, user=factories.user())  # no phone

    response = send(coordinator_client, preview(coordinator_client, districts=["azuma"]))

    assert response.redirect_chain[-1][0] == f"{reverse('notifications:outbox')}?purpose=broadcast"
    assert sorted(broadcasts().values_list("to", flat=True)) == sorted(s.phone for s in keen)
    assert all(CANCELLED in body for body in broadcasts().values_list("body", flat=True))
    text = page_text(response)
    assert "2 texts are queued." in text
    assert "3 supporters were skipped: no phone number, or texts turned off." in text


def test_sending_the_same_preview_twice_queues_each_text_once(coordinator_client, higashi):
    factories.supporter(district=higashi)
    previewed = preview(coordinator_client, districts=["azuma"])

    send(coordinator_client, previewed)
    send(coordinator_client, previewed)

    assert broadcasts().count() == 1


def test_a_new_preview_of_the_same_message_is_a_new_broadcast(coordinator_client, higashi):
    factories.supporter(district=higashi)

    send(coordinator_client, preview(coordinator_client, districts=["azuma"]))
    send(coordinator_client, preview(coordinator_client, districts=["azuma"]))

    assert broadcasts().count() == 2


def test_a_broadcast_to_a_sessions_roster_and_chosen_supporters(coordinator_client):
    session = factories.session(starts_at=TUESDAY_10AM)
    on_roster = factories.shift(session=session).supporter
    chosen = factories.supporter()

    send(
        coordinator_client,
        preview(coordinator_client, session=session.pk, supporters=[chosen.pk, on_roster.pk]),
    )

    assert set(broadcasts().values_list("to", flat=True)) == {on_roster.phone, chosen.phone}


def test_changing_a_previewed_message_brings_back_the_filled_form(coordinator_client, higashi):
    previewed = preview(coordinator_client, districts=["azuma"])
    data = {"step": "edit", "text": CANCELLED, "districts": ["azuma"]}

    response = coordinator_client.post(BROADCAST, data)

    assert response.templates[0].name == "supporters/broadcast.html"
    assert response.context["form"]["text"].value() == CANCELLED
    assert previewed.context["form"]["key"].value()
    assert not broadcasts().exists()


def test_nothing_is_sent_when_no_chosen_supporter_takes_texts(coordinator_client, higashi):
    factories.supporter(district=higashi, sms_opt_in=False)
    previewed = preview(coordinator_client, districts=["azuma"])
    assert "Send to" not in page_text(previewed)

    response = send(coordinator_client, previewed)

    assert "None of the chosen supporters can get texts" in page_text(response)
    assert not broadcasts().exists()


def test_the_preview_runs_as_many_queries_for_30_supporters_as_for_3(
    coordinator_client, higashi, django_assert_max_num_queries
):
    def make(count):
        for _ in range(count):
            factories.supporter(district=higashi)

    make(3)
    with CaptureQueriesContext(connection) as few:
        preview(coordinator_client, districts=["azuma"])
    make(27)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = preview(coordinator_client, districts=["azuma"])
    assert response.context["preview"]["recipients"] == 30


@pytest.mark.parametrize("who", ["supporter", "stranger"])
def test_only_coordinators_write_to_supporters(client, request, higashi, who):
    person = request.getfixturevalue(who)
    client.force_login(person.user if who == "supporter" else person)
    factories.supporter(district=higashi)

    assert client.get(BROADCAST).status_code == 403
    assert preview(client, districts=["azuma"]).status_code == 403
    response = client.post(
        BROADCAST, {"text": CANCELLED, "districts": ["azuma"], "step": "send", "key": "abc"}
    )
    assert response.status_code == 403
    assert not broadcasts().exists()


def test_sending_runs_as_many_queries_for_30_supporters_as_for_3(
    coordinator_client, higashi, django_assert_max_num_queries
):
    def make(count):
        for _ in range(count):
            factories.supporter(district=higashi)

    make(3)
    with CaptureQueriesContext(connection) as few:
        send(coordinator_client, preview(coordinator_client, districts=["azuma"]))
    make(27)
    with django_assert_max_num_queries(len(few.captured_queries)):
        send(coordinator_client, preview(coordinator_client, districts=["azuma"]))
    assert broadcasts().count() == 3 + 30


# --- Choosing supporters by name on a phone ---------------------------------------------------


def test_supporters_are_ticked_in_a_list_not_picked_with_ctrl(coordinator_client, db):
    chosen = factories.supporter(family_name="赤城", given_name="一郎")
    page = page_text(coordinator_client.get(BROADCAST, headers={"accept-language": "en"}))
    assert f'type="checkbox" name="supporters" value="{chosen.pk}"' in page
    assert "Ctrl" not in page
    assert 'type="search" name="q"' in page


def test_searching_by_name_lists_only_the_supporters_who_match(coordinator_client, db):
    akagi = factories.supporter(family_name="赤城", given_name="一郎", given_name_kana="いちろう")
    haruna = factories.supporter(family_name="榛名", given_name="二郎")
    # A full-width space between the names, as Japanese keyboards type it, works too.
    for search in ("赤城", "いちろう", "赤城 一郎", "赤城　一郎"):
        response = coordinator_client.get(BROADCAST, {"q": search})
        listed = list(response.context["form"].fields["supporters"].queryset)
        assert listed == [akagi], search
    assert f'value="{haruna.pk}"' not in page_text(response)
    assert "No supporter has that name." in page_text(
        coordinator_client.get(BROADCAST, {"q": "妙義"}, headers={"accept-language": "en"})
    )


def test_a_supporter_found_by_search_gets_the_message(coordinator_client, db):
    akagi = factories.supporter(family_name="赤城", given_name="一郎")
    factories.supporter(family_name="榛名", given_name="二郎")
    coordinator_client.get(BROADCAST, {"q": "赤城"})
    send(coordinator_client, preview(coordinator_client, supporters=[akagi.pk]))
    assert [message.to for message in broadcasts()] == [akagi.phone]


def test_a_message_with_a_link_phones_cannot_open_is_refused(coordinator_client, higashi):
    factories.supporter(district=higashi)
    response = preview(coordinator_client, districts=["azuma"], text="詳しくは /sessions/ へ")
    assert "starting with https://" in page_text(response)
    assert not broadcasts().exists()
