"""The signed-in user is kept per public content version (supporters/backends.py, issue 9):
a second request asks the database only for the session and the version, and every change to
who the person is or what they may do is seen on the next request, never later."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from supporters.backends import user_with_roles
from supporters.models import COORDINATORS_GROUP, ApiToken, Supporter, User
from supporters.services import create_api_token
from tests import factories

pytestmark = pytest.mark.usefixtures("monday_morning")

BOARD = reverse("helpdesk_sessions:board")
OUTBOX = reverse("notifications:outbox")


def test_a_second_request_reads_the_session_and_the_version_only(
    supporter_client, django_assert_num_queries
):
    # A page with nothing of its own to read: the outbox refuses a supporter.
    assert supporter_client.get(OUTBOX).status_code == 403
    with django_assert_num_queries(2) as queries:
        assert supporter_client.get(OUTBOX).status_code == 403

    sql = [query["sql"] for query in queries.captured_queries]
    assert "django_session" in sql[0]
    assert "digisapo_cache" in sql[1]


def test_a_deactivated_user_is_signed_out_at_once(supporter_client, supporter):
    assert supporter_client.get(BOARD).status_code == 200
    User.objects.filter(pk=supporter.user.pk).update(is_active=False)

    response = supporter_client.get(BOARD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_password_changed_elsewhere_signs_the_session_out_at_once(supporter_client, supporter):
    assert supporter_client.get(BOARD).status_code == 200
    user = User.objects.get(pk=supporter.user.pk)
    user.set_password("a new one, somewhere else")
    user.save()

    assert supporter_client.get(BOARD).status_code == 302


def test_leaving_the_coordinators_takes_effect_at_once(coordinator_client, coordinator):
    assert coordinator_client.get(OUTBOX).status_code == 200
    coordinator.groups.clear()

    assert coordinator_client.get(OUTBOX).status_code == 403


def test_the_group_losing_its_permission_takes_effect_at_once(coordinator_client):
    assert coordinator_client.get(OUTBOX).status_code == 200
    Group.objects.get(name=COORDINATORS_GROUP).permissions.remove(
        Permission.objects.get(codename="coordinate_programme")
    )

    assert coordinator_client.get(OUTBOX).status_code == 403


def test_a_permission_given_directly_takes_effect_at_once(client, db):
    person = factories.user()
    client.force_login(person)
    assert client.get(OUTBOX).status_code == 403
    person.user_permissions.add(Permission.objects.get(codename="coordinate_programme"))

    assert client.get(OUTBOX).status_code == 200


def test_a_new_name_shows_on_a_kept_board_at_once(client, supporter, session):
    on_it = factories.supporter(given_name="次郎")
    factories.shift(session=session, supporter=on_it)
    client.force_login(supporter.user)
    assert "次郎" in client.get(BOARD).content.decode()
    Supporter.objects.filter(pk=on_it.pk).update(given_name="三郎")

    html = client.get(BOARD).content.decode()
    assert "三郎" in html
    assert "次郎" not in html


def test_someone_signing_in_keeps_every_kept_page(client, supporter, session):
    other = factories.supporter()
    client.force_login(supporter.user)
    client.get(BOARD)
    client.force_login(other.user)  # writes only last_login
    client.force_login(supporter.user)

    assert "sessions/_board.html" not in [t.name for t in client.get(BOARD).templates]


def test_each_ask_gets_its_own_copy_of_the_kept_user(supporter):
    first = user_with_roles(supporter.user.pk)
    first.first_name = "changed on one request"
    first.supporter.given_name = "changed too"

    again = user_with_roles(supporter.user.pk)
    assert again is not first
    assert again.first_name != "changed on one request"
    assert again.supporter.given_name != "changed too"


@pytest.mark.parametrize("change", ["deactivated", "left the coordinators"])
def test_an_api_token_follows_its_user_at_once(client, coordinator, change):
    _, key = create_api_token(coordinator, "script")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert client.get("/api/me", **headers).json()["is_coordinator"] is True
    if change == "deactivated":
        User.objects.filter(pk=coordinator.pk).update(is_active=False)
        assert client.get("/api/me", **headers).status_code == 401
    else:
        coordinator.groups.clear()
        assert client.get("/api/me", **headers).json()["is_coordinator"] is False


def test_a_revoked_token_is_refused_at_once(client, supporter):
    token, key = create_api_token(supporter.user, "script")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert client.get("/api/me", **headers).status_code == 200
    assert client.get("/api/me", **headers).status_code == 200  # kept now
    ApiToken.objects.filter(pk=token.pk).revoke()

    assert client.get("/api/me", **headers).status_code == 401


def test_a_token_seen_again_costs_the_version_only(client, supporter, django_assert_num_queries):
    _, key = create_api_token(supporter.user, "script")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    client.get("/api/me", **headers)
    with django_assert_num_queries(1):
        assert client.get("/api/me", **headers).status_code == 200
