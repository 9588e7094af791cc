"""People manage their own API tokens: through the API, the command line and their page."""

import hashlib
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from supporters.models import ApiToken
from supporters.services import TokenError, create_api_token, revoke_api_token
from tests import factories


def bearer(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def create_through_api(client, name="calendar"):
    return client.post(
        "/api/me/tokens", json.dumps({"name": name}), content_type="application/json"
    )


# The API


def test_creating_a_token_shows_the_secret_once_and_stores_only_its_sha256(supporter_client):
    response = create_through_api(supporter_client)
    assert response.status_code == 201
    body = response.json()
    secret = body["token"]
    assert secret.startswith("dgs_")
    assert len(secret) > 40
    assert set(body) == {"id", "name", "hint", "created_at", "last_used_at", "revoked_at", "token"}
    assert body["created_at"].endswith("+09:00")
    token = ApiToken.objects.get(pk=body["id"])
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.hint == body["hint"] == secret[:12]
    stored = [str(getattr(token, field.attname)) for field in ApiToken._meta.concrete_fields]
    assert secret not in stored

    listing = supporter_client.get("/api/me/tokens")
    assert listing.status_code == 200
    assert secret not in listing.content.decode()
    assert listing.json() == [
        {
            "id": token.pk,
            "name": "calendar",
            "hint": secret[:12],
            "created_at": body["created_at"],
            "last_used_at": None,
            "revoked_at": None,
        }
    ]


def test_a_new_token_works_at_once(client, supporter_client):
    secret = create_through_api(supporter_client).json()["token"]
    client.logout()
    response = client.get("/api/me", **bearer(secret))
    assert response.status_code == 200
    assert response.json()["username"] == "sapo"


def test_token_name_must_not_be_blank_or_too_long(supporter_client):
    for name in ("", "   ", "x" * 101):
        response = create_through_api(supporter_client, name)
        assert response.status_code == 422, name
        assert response.json()["code"] == "invalid"
        assert response.json()["message"]
    assert not ApiToken.objects.exists()


def test_revoking_a_token_stops_it_and_keeps_it_listed(client, supporter):
    token, secret = create_api_token(supporter.user, "old script")
    _other, current = create_api_token(supporter.user, "current script")
    response = client.delete(f"/api/me/tokens/{token.pk}", **bearer(current))
    assert response.status_code == 204
    assert response.content == b""
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.get("/api/me", **bearer(secret)).status_code == 401
    listed = {t["id"]: t for t in client.get("/api/me/tokens", **bearer(current)).json()}
    assert listed[token.pk]["revoked_at"].endswith("+09:00")


def test_revoking_twice_keeps_the_first_time(supporter):
    token, _secret = create_api_token(supporter.user, "script")
    first = revoke_api_token(supporter.user, token.pk).revoked_at
    assert revoke_api_token(supporter.user, token.pk).revoked_at == first


def test_others_tokens_are_neither_listed_nor_revocable(client, supporter, stranger):
    theirs, their_secret = create_api_token(stranger, "stranger's")
    _mine, secret = create_api_token(supporter.user, "mine")
    assert [t["name"] for t in client.get("/api/me/tokens", **bearer(secret)).json()] == ["mine"]
    response = client.delete(f"/api/me/tokens/{theirs.pk}", **bearer(secret))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert response.json()["message"]
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert client.get("/api/me", **bearer(their_secret)).status_code == 200


def test_revoking_a_missing_token_is_404(client, supporter):
    _mine, secret = create_api_token(supporter.user, "mine")
    assert client.delete("/api/me/tokens/999999", **bearer(secret)).status_code == 404


def test_token_endpoints_need_a_person(client, db):
    assert client.get("/api/me/tokens").status_code == 401
    assert create_through_api(client).status_code == 401
    assert client.delete("/api/me/tokens/1").status_code == 401


def test_services_refuse_with_coded_errors(supporter, stranger):
    with pytest.raises(TokenError) as refused:
        create_api_token(supporter.user, " ")
    assert refused.value.code == "invalid"
    theirs, _secret = create_api_token(stranger, "theirs")
    with pytest.raises(TokenError) as refused:
        revoke_api_token(supporter.user, theirs.pk)
    assert refused.value.code == "not_found"


# The command


def test_issue_token_prints_only_a_working_token(client, supporter):
    out = StringIO()
    call_command("issue_token", "sapo", "--name", "nightly export", stdout=out)
    secret = out.getvalue().strip()
    assert "\n" not in secret
    assert secret.startswith("dgs_")
    assert ApiToken.objects.get(user=supporter.user).name == "nightly export"
    response = client.get("/api/me", **bearer(secret))
    assert response.status_code == 200
    assert response.json()["username"] == "sapo"


def test_issue_token_refuses_unknown_and_inactive_users(db):
    with pytest.raises(CommandError):
        call_command("issue_token", "nobody", stdout=StringIO())
    factories.user(username="gone", is_active=False)
    with pytest.raises(CommandError):
        call_command("issue_token", "gone", stdout=StringIO())
    assert not ApiToken.objects.exists()


# The page


def test_token_page_needs_sign_in(client, db):
    response = client.get(reverse("supporters:tokens"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_token_page_lists_own_tokens_only(supporter_client, supporter, stranger):
    create_api_token(supporter.user, "calendar on my PC")
    create_api_token(stranger, "stranger's script")
    response = supporter_client.get(reverse("supporters:tokens"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "calendar on my PC" in page
    assert "stranger's script" not in page


def test_token_page_creates_a_token_and_shows_the_secret_once(supporter_client, supporter):
    response = supporter_client.post(reverse("supporters:tokens"), {"name": "calendar"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=supporter.user)
    secret = response.context["secret"]
    assert token.key_hash == ApiToken.hash_key(secret)
    assert secret in response.content.decode()
    again = supporter_client.get(reverse("supporters:tokens"))
    assert secret not in again.content.decode()
    assert token.hint in again.content.decode()


def test_token_page_refuses_a_blank_name(supporter_client):
    response = supporter_client.post(reverse("supporters:tokens"), {"name": "  "})
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert response.context["secret"] is None
    assert not ApiToken.objects.exists()


def test_token_page_revokes_a_token(supporter_client, supporter):
    token, _secret = create_api_token(supporter.user, "calendar")
    url = reverse("supporters:revoke_token", args=[token.pk])
    assert supporter_client.get(url).status_code == 405
    response = supporter_client.post(url, follow=True)
    assert response.redirect_chain == [(reverse("supporters:tokens"), 302)]
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "calendar" in response.content.decode()


def test_token_page_cannot_revoke_someone_elses_token(supporter_client, stranger):
    theirs, _secret = create_api_token(stranger, "theirs")
    url = reverse("supporters:revoke_token", args=[theirs.pk])
    response = supporter_client.post(url, follow=True)
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_token_page_forms_carry_csrf_tokens(supporter_client, supporter):
    create_api_token(supporter.user, "calendar")
    page = supporter_client.get(reverse("supporters:tokens")).content.decode()
    assert page.count('name="csrfmiddlewaretoken"') >= 3  # create, revoke, sign out
