"""A coordinator invites a supporter; the invitee checks their phone with a code and joins."""

import hashlib
import re
from datetime import timedelta

import pytest
import time_machine
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse
from django.utils import timezone

from notifications.models import OptOut, OutboundMessage
from supporters.models import Invitation, Supporter, User
from supporters.services import (
    InvitationError,
    accept_invitation,
    create_api_token,
    invite_supporter,
    revoke_invitation,
)
from tests import factories
from tests.pages import parse, unlabelled_fields

PHONE = "+819087654321"
TYPED = "090-8765-4321"
INVITE = {
    "family_name": "赤城",
    "given_name": "次郎",
    "phone": TYPED,
    "email": "",
    "training_level": 4,
    "language": "ja",
}
Purpose = OutboundMessage.Purpose


def link_in(text: str) -> str:
    return re.search(r"https?://\S+/join/[\w-]+/", text)[0]


def key_of(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[1]


def code_texted_to(phone=PHONE) -> str:
    message = OutboundMessage.objects.filter(to=phone, purpose=Purpose.SIGN_IN_CODE).latest(
        "created_at"
    )
    return re.search(r"(?<!\d)\d{6}(?!\d)", message.body)[0]


def join(client, key, **data):
    fields = {"family_name": "赤城", "given_name": "次郎", "phone": TYPED, **data}
    return client.post(reverse("supporters:join", args=[key]), fields)


def enter_code(client, key, code):
    return client.post(reverse("supporters:join_code", args=[key]), {"code": code})


# Inviting


def test_a_coordinator_invites_by_text_message_with_a_link(coordinator_client, coordinator):
    response = coordinator_client.post(reverse("supporters:invitations"), INVITE)

    assert response.status_code == 200
    invitation = Invitation.objects.get()
    assert (invitation.phone, invitation.training_level) == (PHONE, 4)
    assert invitation.invited_by == coordinator
    assert invitation.state == Invitation.State.OPEN
    assert timedelta(days=13) < invitation.expires_at - timezone.now() <= timedelta(days=14)
    (message,) = OutboundMessage.objects.filter(purpose=Purpose.INVITATION)
    assert message.to == PHONE
    assert message.related_object == invitation
    link = link_in(message.body)
    assert link.startswith("http://testserver/join/")
    assert "赤城 次郎" in message.body
    # Only the hash of the link's secret is kept.
    key = key_of(link)
    assert invitation.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(Invitation.objects.values().get())
    # The coordinator sees the link this once, to hand over if need be.
    assert link in response.content.decode()
    assert link not in coordinator_client.get(reverse("supporters:invitations")).content.decode()


def test_an_invitation_made_at_night_says_when_its_text_goes(coordinator_client):
    def invite_at(hour, phone):
        moment = timezone.make_aware(timezone.datetime(2026, 6, 1, hour, 30))
        with time_machine.travel(moment, tick=False):
            response = coordinator_client.post(
                reverse("supporters:invitations"),
                {**INVITE, "phone": phone},
                headers={"Accept-Language": "en"},
            )
        return response.content.decode()

    assert "No texts go out at night: it goes at 8 a.m." in invite_at(22, TYPED)
    assert "No texts go out at night" not in invite_at(10, "090-8765-0000")


def test_the_link_starts_with_the_public_address_when_one_is_set(coordinator, settings):
    settings.PUBLIC_URL = "https://digisapo.example.jp"

    _invitation, link = invite_supporter(
        by=coordinator, base_url="https://digisapo.example.jp", **INVITE
    )

    body = OutboundMessage.objects.get(purpose=Purpose.INVITATION).body
    assert link_in(body) == link
    assert link.startswith("https://digisapo.example.jp/join/")


def test_without_a_phone_the_invitation_goes_by_email(
    coordinator_client, mailoutbox, django_capture_on_commit_callbacks
):
    data = {**INVITE, "phone": "", "email": "jiro@example.jp", "language": "en"}

    with django_capture_on_commit_callbacks(execute=True):
        coordinator_client.post(reverse("supporters:invitations"), data)

    assert not OutboundMessage.objects.exists()
    (mail,) = mailoutbox
    assert mail.to == ["jiro@example.jp"]
    assert mail.subject == "Your invitation to Maebashi Digital Supporters"
    link = link_in(mail.body)
    assert Invitation.objects.get().key_hash == hashlib.sha256(key_of(link).encode()).hexdigest()


class UnreachableMailServer(BaseEmailBackend):
    """A mail server that cannot be reached, as smtplib reports it."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError(111, "Connection refused")


@pytest.fixture
def unreachable_mail_server(settings):
    backend = f"{__name__}.UnreachableMailServer"
    settings.MAILERS = {"default": {"BACKEND": backend}}


EMAILED = {**INVITE, "phone": "", "email": "jiro@example.jp"}


def test_an_unreachable_mail_server_leaves_the_page_working_and_shows_the_failed_email(
    coordinator_client, unreachable_mail_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator_client.post(reverse("supporters:invitations"), EMAILED)

    assert response.status_code == 200
    invitation = Invitation.objects.get()
    assert invitation.state == Invitation.State.OPEN
    assert invitation.emailed_at is None
    assert invitation.email_error == "[Errno 111] Connection refused"
    page = coordinator_client.get(reverse("supporters:invitations")).content.decode()
    assert "jiro@example.jp宛てのメールを送信できませんでした。" in page  # Japanese by default


def test_an_unreachable_mail_server_leaves_the_api_answering_and_lists_the_failed_email(
    client, coordinator, unreachable_mail_server, django_capture_on_commit_callbacks
):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {create_api_token(coordinator, 'test')[1]}"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/invitations", EMAILED, content_type="application/json", **headers
        )

    assert response.status_code == 201
    listed = client.get("/api/invitations", **headers).json()["items"]
    assert [(i["id"], i["email_error"], i["emailed_at"]) for i in listed] == [
        (response.json()["id"], "[Errno 111] Connection refused", None)
    ]


def test_an_emailed_invitation_records_when_it_went(
    coordinator_client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        coordinator_client.post(reverse("supporters:invitations"), EMAILED)

    assert len(mailoutbox) == 1
    invitation = Invitation.objects.get()
    assert invitation.emailed_at is not None
    assert invitation.email_error == ""


def test_an_invitation_revoked_before_its_email_goes_is_not_emailed(
    coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        invitation, _link = invite_supporter(
            by=coordinator, base_url="http://testserver", **EMAILED
        )
    revoke_invitation(invitation.pk, by=coordinator)
    for callback in callbacks:
        callback()

    assert mailoutbox == []


def test_an_invitation_needs_a_phone_or_an_email(coordinator_client):
    response = coordinator_client.post(
        reverse("supporters:invitations"), {**INVITE, "phone": "", "email": ""}
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not Invitation.objects.exists()


def test_nobody_is_invited_twice_with_a_number_that_has_an_account(coordinator):
    factories.user(phone=PHONE)

    with pytest.raises(InvitationError) as refused:
        invite_supporter(by=coordinator, base_url="http://testserver", **INVITE)

    assert refused.value.code == "phone_taken"
    assert not Invitation.objects.exists()


def test_a_new_invitation_replaces_the_open_one_for_the_same_number(coordinator):
    first, _ = invite_supporter(by=coordinator, base_url="http://testserver", **INVITE)
    second, _ = invite_supporter(by=coordinator, base_url="http://testserver", **INVITE)

    first.refresh_from_db()
    assert first.state == Invitation.State.REVOKED
    assert second.state == Invitation.State.OPEN


def test_a_number_that_opted_out_needs_an_email_address_instead(coordinator):
    OptOut.objects.create(phone=PHONE)

    with pytest.raises(InvitationError) as refused:
        invite_supporter(by=coordinator, base_url="http://testserver", **INVITE)

    assert refused.value.code == "opted_out"
    assert not Invitation.objects.exists()


def test_revoking_an_invitation_calls_off_its_text_if_not_yet_sent(coordinator_client):
    coordinator_client.post(reverse("supporters:invitations"), INVITE)
    invitation = Invitation.objects.get()

    response = coordinator_client.post(
        reverse("supporters:revoke_invitation", args=[invitation.pk])
    )

    assert response["Location"] == reverse("supporters:invitations")
    invitation.refresh_from_db()
    assert invitation.state == Invitation.State.REVOKED
    message = OutboundMessage.objects.get(purpose=Purpose.INVITATION)
    assert message.status == OutboundMessage.Status.CANCELLED


def test_the_invitations_page_runs_a_fixed_number_of_queries(
    coordinator_client, django_assert_max_num_queries
):
    for _ in range(3):
        factories.invitation()
    with django_assert_max_num_queries(12) as few:
        coordinator_client.get(reverse("supporters:invitations"))
    for _ in range(30):
        factories.invitation(invited_by=factories.coordinator())
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = coordinator_client.get(reverse("supporters:invitations"))
    assert response.status_code == 200
    assert unlabelled_fields(parse(response)) == []


# Joining


def test_accepting_by_phone_makes_a_supporter_with_a_verified_phone_and_the_level(client, db):
    invitation = factories.invitation(phone=PHONE, training_level=4, language="en")

    page = client.get(reverse("supporters:join", args=[invitation.key]))
    assert page.status_code == 200
    assert TYPED in page.content.decode()  # the number as people write it
    assert unlabelled_fields(parse(page)) == []

    asked = join(client, invitation.key, given_name="次郎 ")
    assert asked["Location"] == reverse("supporters:join_code", args=[invitation.key])
    body = OutboundMessage.objects.get(to=PHONE, purpose=Purpose.SIGN_IN_CODE).body
    assert body.startswith("Your sign-in code is ")  # the invitee's language
    code_page = client.get(asked["Location"])
    assert 'autocomplete="one-time-code"' in code_page.content.decode()
    assert 'inputmode="numeric"' in code_page.content.decode()

    joined = enter_code(client, invitation.key, code_texted_to())

    assert joined.status_code == 302
    assert joined["Location"] == reverse("home")
    user = User.objects.get(phone=PHONE)
    assert int(client.session["_auth_user_id"]) == user.pk
    assert user.phone_verified
    assert not user.has_usable_password()
    assert user.language == "en"
    supporter = Supporter.objects.get(user=user)
    assert (supporter.family_name, supporter.given_name) == ("赤城", "次郎")
    assert supporter.training_level == 4
    assert supporter.joined_on == timezone.localdate()
    invitation.refresh_from_db()
    assert invitation.state == Invitation.State.ACCEPTED
    assert invitation.supporter == supporter


def test_a_wrong_code_is_refused_and_three_end_the_attempt(client, db):
    invitation = factories.invitation(phone=PHONE)
    join(client, invitation.key)
    code = code_texted_to()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    first = enter_code(client, invitation.key, wrong)
    assert first.status_code == 200
    assert first.context["form"].errors["code"]
    enter_code(client, invitation.key, wrong)
    third = enter_code(client, invitation.key, wrong)

    assert third["Location"] == reverse("supporters:join", args=[invitation.key])
    enter_code(client, invitation.key, code)
    assert not User.objects.filter(phone=PHONE).exists()


def test_an_expired_code_is_refused(client, db):
    invitation = factories.invitation(phone=PHONE)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        join(client, invitation.key)
        traveller.shift(timedelta(minutes=10, seconds=1))

        response = enter_code(client, invitation.key, code_texted_to())

    assert response["Location"] == reverse("supporters:join", args=[invitation.key])
    assert not User.objects.filter(phone=PHONE).exists()


def test_the_invitee_may_give_another_number_which_gets_the_code(client, db):
    invitation = factories.invitation(phone=PHONE)

    join(client, invitation.key, phone="080-1111-2222")
    enter_code(client, invitation.key, code_texted_to("+818011112222"))

    assert User.objects.get(phone="+818011112222").phone_verified


def test_a_number_with_an_account_cannot_join_again(client, db):
    invitation = factories.invitation(phone=PHONE)
    factories.user(phone=PHONE)

    response = join(client, invitation.key)

    assert response.status_code == 200
    assert response.context["form"].errors["phone"]
    assert not OutboundMessage.objects.exists()


def test_too_many_codes_for_one_number_are_refused(client, db):
    invitation = factories.invitation(phone=PHONE)
    for _ in range(3):
        assert join(client, invitation.key).status_code == 302

    refused = join(client, invitation.key)

    assert refused.status_code == 200
    assert refused.context["form"].errors["phone"]
    assert OutboundMessage.objects.filter(purpose=Purpose.SIGN_IN_CODE).count() == 3


def test_an_email_invitee_without_a_phone_joins_with_the_email(client, db):
    invitation = factories.invitation(phone="", email="jiro@example.jp")

    response = join(client, invitation.key, phone="")

    assert response["Location"] == reverse("home")
    user = User.objects.get(email="jiro@example.jp")
    assert (user.phone, user.supporter.training_level) == ("", 2)
    assert int(client.session["_auth_user_id"]) == user.pk


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"expires_at": timezone.now() - timedelta(minutes=1)}, 410, "expired"),
        ({"revoked_at": timezone.now()}, 410, "revoked"),
    ],
    ids=["expired", "revoked"],
)
def test_expired_and_revoked_links_are_refused(client, db, change, status, code):
    invitation = factories.invitation(phone=PHONE)
    Invitation.objects.filter(pk=invitation.pk).update(**change)

    for url in ("supporters:join", "supporters:join_code"):
        response = client.get(reverse(url, args=[invitation.key]))
        assert response.status_code == status
        assert response.context["error"].code == code
    assert join(client, invitation.key).status_code == status
    assert not OutboundMessage.objects.exists()


def test_a_used_link_is_refused_and_points_to_sign_in(client, db):
    invitation = factories.invitation(phone=PHONE)
    accept_invitation(invitation, family_name="赤城", given_name="次郎", phone=PHONE)

    response = client.get(reverse("supporters:join", args=[invitation.key]))

    assert response.status_code == 410
    assert response.context["error"].code == "used"
    assert reverse("account_login") in response.content.decode()
    with pytest.raises(InvitationError) as again:
        accept_invitation(invitation, family_name="赤城", given_name="次郎", phone="+818011112222")
    assert again.value.code == "used"
    assert Supporter.objects.count() == 1


def test_an_unknown_link_is_not_found(client, db):
    factories.invitation(phone=PHONE)

    assert client.get(reverse("supporters:join", args=["guessed"])).status_code == 404


def test_an_invitation_revoked_while_the_code_is_on_its_way_cannot_be_completed(client, db):
    invitation = factories.invitation(phone=PHONE)
    join(client, invitation.key)
    Invitation.objects.filter(pk=invitation.pk).update(revoked_at=timezone.now())

    response = enter_code(client, invitation.key, code_texted_to())

    assert response.status_code == 410
    assert not User.objects.filter(phone=PHONE).exists()


# Nobody else


@pytest.mark.parametrize("persona", ["supporter_client", "stranger"])
def test_only_coordinators_may_see_or_send_invitations(client, db, request, persona):
    if persona == "stranger":
        client.force_login(request.getfixturevalue("stranger"))
    else:
        client = request.getfixturevalue(persona)
    invitation = factories.invitation()

    assert client.get(reverse("supporters:invitations")).status_code == 403
    assert client.post(reverse("supporters:invitations"), INVITE).status_code == 403
    revoke = reverse("supporters:revoke_invitation", args=[invitation.pk])
    assert client.post(revoke).status_code == 403
    assert client.get("/api/invitations").status_code == 403
    api_post = client.post("/api/invitations", INVITE, content_type="application/json")
    assert api_post.status_code == 403
    assert api_post.json()["code"] == "forbidden"
    assert Invitation.objects.count() == 1
    assert not OutboundMessage.objects.exists()


def test_signed_out_visitors_are_sent_to_sign_in_or_refused_by_the_api(client, db):
    response = client.get(reverse("supporters:invitations"))

    assert response["Location"].startswith(reverse("account_login"))
    assert client.get("/api/invitations").status_code == 401


def test_the_service_refuses_anyone_but_a_coordinator(supporter):
    with pytest.raises(InvitationError) as refused:
        invite_supporter(by=supporter.user, base_url="http://testserver", **INVITE)

    assert refused.value.code == "forbidden"


def test_nobody_can_sign_up_without_an_invitation(client, db):
    page = client.get(reverse("account_signup"))
    posted = client.post(
        reverse("account_signup"),
        {
            "username": "intruder",
            "phone": "080-3333-4444",
            "email": "intruder@example.jp",
            "password1": "kiri-no-mori-77",
            "password2": "kiri-no-mori-77",
        },
    )

    assert page.status_code == 200
    assert page.templates[0].name == "account/signup_closed.html"
    assert posted.templates[0].name == "account/signup_closed.html"
    assert not User.objects.exists()
    assert not Supporter.objects.exists()
    assert not OutboundMessage.objects.exists()


# API


def test_a_coordinator_invites_and_lists_through_the_api(coordinator_client, coordinator):
    created = coordinator_client.post("/api/invitations", INVITE, content_type="application/json")

    assert created.status_code == 201
    body = created.json()
    assert body["phone"] == PHONE
    assert body["state"] == "open"
    assert body["training_level"] == 4
    assert body["invited_by"] == str(coordinator)
    assert body["link"] == link_in(OutboundMessage.objects.get(purpose=Purpose.INVITATION).body)
    listed = coordinator_client.get("/api/invitations").json()
    assert listed["count"] == 1
    assert listed["items"][0]["id"] == body["id"]
    assert "link" not in listed["items"][0]
    assert "key_hash" not in listed["items"][0]


def test_the_api_answers_refusals_with_their_codes(coordinator_client):
    factories.user(phone=PHONE)

    taken = coordinator_client.post("/api/invitations", INVITE, content_type="application/json")
    invalid = coordinator_client.post(
        "/api/invitations", {**INVITE, "phone": "12"}, content_type="application/json"
    )

    assert (taken.status_code, taken.json()["code"]) == (409, "phone_taken")
    assert (invalid.status_code, invalid.json()["code"]) == (422, "invalid")


def test_a_coordinator_revokes_through_the_api(coordinator_client):
    invitation = factories.invitation()

    response = coordinator_client.post(f"/api/invitations/{invitation.pk}/revoke")

    assert response.status_code == 200
    assert response.json()["state"] == "revoked"
    accepted = factories.invitation()
    accept_invitation(accepted, family_name="赤城", given_name="次郎", phone=accepted.phone)
    refused = coordinator_client.post(f"/api/invitations/{accepted.pk}/revoke")
    assert (refused.status_code, refused.json()["code"]) == (409, "accepted")


def test_the_invitation_list_api_runs_a_fixed_number_of_queries(
    coordinator_client, django_assert_max_num_queries
):
    factories.invitation(invited_by=factories.coordinator())
    with django_assert_max_num_queries(12) as few:
        coordinator_client.get("/api/invitations")
    for _ in range(20):
        factories.invitation(invited_by=factories.coordinator())
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert coordinator_client.get("/api/invitations").json()["count"] == 21


# Admin


def test_coordinators_find_and_revoke_invitations_in_the_admin(client, db):
    staff = factories.coordinator(is_staff=True)
    client.force_login(staff)
    invitation = factories.invitation(phone=PHONE)
    changelist = reverse("admin:supporters_invitation_changelist")

    found = client.get(changelist, {"q": TYPED})
    revoked = client.post(
        changelist, {"action": "revoke", "_selected_action": [invitation.pk]}, follow=True
    )

    assert found.status_code == 200
    assert str(invitation) in found.content.decode()
    assert revoked.status_code == 200
    invitation.refresh_from_db()
    assert invitation.state == Invitation.State.REVOKED
    assert client.get(reverse("admin:supporters_invitation_add")).status_code == 403
