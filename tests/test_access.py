"""Who may do what is decided in supporters/access.py, for the pages and the API of every app."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from supporters.access import (
    coordinator_required,
    supporter_or_coordinator_required,
    supporter_required,
)
from tests import factories

ROOT = Path(__file__).resolve().parent.parent


@coordinator_required
def for_coordinators(request):
    return HttpResponse("ok")


@supporter_required
def for_supporters(request):
    return HttpResponse(request.user.supporter_or_none.given_name)


@supporter_or_coordinator_required
def for_both(request):
    return HttpResponse("ok")


def visit(view, user):
    request = RequestFactory().get("/somewhere/")
    request.user = user
    return view(request)


@pytest.mark.parametrize("view", [for_coordinators, for_supporters, for_both])
def test_pages_send_anonymous_visitors_to_sign_in(view):
    response = visit(view, AnonymousUser())

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next=/somewhere/"


@pytest.mark.parametrize(
    ("view", "allowed"),
    [
        (for_coordinators, {"coordinator"}),
        (for_supporters, {"supporter"}),
        (for_both, {"coordinator", "supporter"}),
    ],
)
def test_pages_let_in_only_their_people_and_refuse_the_rest(db, view, allowed):
    people = {
        "coordinator": factories.coordinator(),
        "supporter": factories.supporter(given_name="花子").user,
        "stranger": factories.user(),
    }
    for persona, user in people.items():
        if persona in allowed:
            assert visit(view, user).status_code == 200
        else:
            with pytest.raises(PermissionDenied):
                visit(view, user)


HAND_WRITTEN_CHECK = re.compile(
    r"permission_required|has_perm\(|COORDINATE_PERMISSION|def \w*_or_403|coordinators_only"
)


def test_no_page_or_endpoint_checks_roles_by_hand():
    modules = sorted(ROOT.glob("*/views.py")) + sorted(ROOT.glob("*/api.py"))
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in modules
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if HAND_WRITTEN_CHECK.search(line)
    ]
    assert modules
    assert found == [], "Use supporters.access instead"


# The coordinator check, asked on every page by the header (issue 9) ---------------------------


def test_the_coordinator_check_gives_has_perms_answer_in_one_query(db, django_assert_num_queries):
    from django.contrib.auth.models import Permission

    from supporters.models import COORDINATE_PERMISSION, User

    direct = factories.user()
    direct.user_permissions.add(Permission.objects.get(codename="coordinate_programme"))
    people = {
        "group": factories.coordinator(),
        "direct": direct,
        "superuser": factories.user(is_superuser=True),
        "inactive": factories.coordinator(is_active=False),
        "nobody": factories.user(),
        "supporter": factories.supporter().user,
    }
    for name, person in people.items():
        fresh, again = User.objects.get(pk=person.pk), User.objects.get(pk=person.pk)
        with django_assert_num_queries(0 if name in ("superuser", "inactive") else 1):
            answer = fresh.is_coordinator
        assert answer == again.has_perm(COORDINATE_PERMISSION), name


def test_a_signed_in_page_asks_about_permissions_once_and_an_anonymous_one_never(
    client, supporter, django_assert_max_num_queries
):
    def permission_queries(response_queries):
        return [q for q in response_queries if "auth_permission" in q["sql"]]

    with django_assert_max_num_queries(20) as anonymous:
        assert client.get(reverse("home")).status_code == 200
    assert permission_queries(anonymous.captured_queries) == []

    client.force_login(supporter.user)
    with django_assert_max_num_queries(20) as signed_in:
        assert client.get(reverse("helpdesk_sessions:board")).status_code == 200
    asked = permission_queries(signed_in.captured_queries)
    assert len(asked) == 1
    # …and that one is the query that loads the user, with their supporter (supporters/backends.py)
    assert asked[0]["sql"].startswith('SELECT "supporters_user"."id"')
    assert '"supporters_supporter"' in asked[0]["sql"]


def _directly_permitted():
    from django.contrib.auth.models import Permission

    person = factories.user()
    person.user_permissions.add(Permission.objects.get(codename="coordinate_programme"))
    return person


def _in_another_group():
    from django.contrib.auth.models import Group, Permission

    group = Group.objects.create(name="helpers")
    group.permissions.add(Permission.objects.get(codename="view_venue"))
    person = factories.supporter().user
    person.groups.add(group)
    return person


PEOPLE = {
    "supporter": lambda: factories.supporter().user,
    "coordinator": factories.coordinator,
    "coordinator and supporter": lambda: factories.supporter(user=factories.coordinator()).user,
    "directly permitted": _directly_permitted,
    "in another group": _in_another_group,
    "superuser": lambda: factories.user(is_superuser=True),
    "nobody": factories.user,
}


@pytest.mark.parametrize("who", PEOPLE)
def test_the_roles_loaded_with_the_user_are_the_ones_asked_for_separately(
    client, db, who, django_assert_num_queries
):
    from supporters.backends import ModelBackend, signed_in
    from supporters.models import COORDINATE_PERMISSION, User
    from supporters.services import create_api_token, user_for_api_token

    person = PEOPLE[who]()
    ModelBackend().get_user(person.pk)  # the version settles (a test's writes never commit)
    signed_in.clear()
    # Outside a request the version is read on each ask: it, and the user with their roles.
    with django_assert_num_queries(2):
        loaded = ModelBackend().get_user(person.pk)
    with django_assert_num_queries(1):
        kept = ModelBackend().get_user(person.pk)
    assert kept is not loaded
    assert (kept.pk, kept.is_coordinator) == (loaded.pk, loaded.is_coordinator)
    with django_assert_num_queries(0):
        roles = loaded.is_coordinator, loaded.supporter_or_none
    fresh = User.objects.get(pk=person.pk)
    assert roles == (fresh.has_perm(COORDINATE_PERMISSION), fresh.supporter_or_none)

    _, key = create_api_token(person, "roles")
    by_token = user_for_api_token(key)
    with django_assert_num_queries(0):
        assert (by_token.is_coordinator, by_token.supporter_or_none) == roles
