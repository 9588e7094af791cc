"""The shared layout: language, skip link, own static files only, and allauth's pages inside it."""

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import caches
from django.urls import reverse

from tests import factories
from tests.csrf import assert_forms_carry_the_visitors_token
from tests.pages import parse, third_party_urls, unlabelled_fields


def test_pages_are_japanese_by_default(client, db):
    response = client.get(reverse("home"))

    assert '<html lang="ja">' in response.content.decode()


def test_the_language_switcher_changes_the_page_language(client, db):
    page = client.get(reverse("home")).content.decode()
    assert f'method="get" action="{reverse("set_language")}"' in page
    assert '<option value="en" lang="en">English</option>' in page

    response = client.get(
        reverse("set_language"),
        {"language": "en", "next": reverse("helpdesk_sessions:classes")},
        follow=True,
    )

    assert response.redirect_chain == [(reverse("helpdesk_sessions:classes"), 302)]
    page = response.content.decode()
    assert '<html lang="en">' in page
    assert "Smartphone classes" in page
    assert '<option value="en" lang="en" selected>English</option>' in page
    assert '<html lang="en">' in client.get(reverse("home")).content.decode()


def test_the_language_switcher_lists_each_language_in_its_own_name(client, db, settings):
    page = client.get(reverse("home"), headers={"Accept-Language": "en"}).content.decode()

    for code, name in settings.LANGUAGES:
        assert f'<option value="{code}" lang="{code}"' in page
        assert f">{name}</option>" in page


def test_the_base_page_is_made_for_phones_and_keyboards(client, db):
    response = client.get(reverse("home"))
    page = parse(response)
    html = response.content.decode()

    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    # The skip link comes first and lands on the main content.
    first_link = next(attrs for tag, attrs in page.tags if tag == "a")
    assert first_link == {"class": "skip-link", "href": "#main"}
    assert "main" in page.ids
    assert any(tag == "nav" and attrs.get("aria-label") for tag, attrs in page.tags)


def test_the_base_page_loads_nothing_from_another_site(client, db):
    response = client.get(reverse("home"))
    page = parse(response)

    assert third_party_urls(page) == []
    scripts = [attrs for tag, attrs in page.tags if tag == "script"]
    assert scripts == [{"src": "/static/js/htmx.min.js", "defer": None}]
    stylesheets = [attrs["href"] for tag, attrs in page.tags if attrs.get("rel") == "stylesheet"]
    assert stylesheets == ["/static/css/app.css"]


def test_the_stylesheet_uses_system_fonts_and_large_text():
    css = Path(finders.find("css/app.css")).read_text(encoding="utf-8")

    assert not re.search(r"https?://|@import|@font-face|url\(", css)
    assert "font-size: 112.5%" in css  # 18px
    assert "prefers-reduced-motion" in css
    assert ":focus-visible" in css


def test_htmx_is_vendored_from_version_2():
    htmx = Path(finders.find("js/htmx.min.js")).read_text(encoding="utf-8")

    assert re.search(r'version:"2\.\d+\.\d+"', htmx)


def test_an_anonymous_visitor_sees_sign_in_and_a_signed_in_one_signs_out_by_post(client, db):
    page = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("account_login")}"' in page

    client.force_login(factories.user())
    page = client.get(reverse("home")).content.decode()

    assert f'<form class="inline-form" method="post" action="{reverse("account_logout")}">' in page
    assert f'href="{reverse("account_login")}"' not in page


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        ("anonymous", [], ["/board/", "/me/shifts/", "#today", "/admin/"]),
        ("supporter", ["/board/", "/me/shifts/"], ["#today", "/admin/"]),
        ("coordinator", ["/board/", "#today", "/admin/"], ["/me/shifts/"]),
    ],
)
def test_the_menu_depends_on_the_role(client, db, role, shown, hidden):
    if role == "supporter":
        client.force_login(factories.supporter().user)
    elif role == "coordinator":
        client.force_login(factories.coordinator())

    nav = re.search(r"<nav.*?</nav>", client.get(reverse("home")).content.decode(), re.S)[0]

    for href in shown:
        assert href in nav
    for href in hidden:
        assert href not in nav


def test_the_sign_in_page_is_in_our_layout_with_labelled_fields(client, db):
    response = client.get(reverse("account_login"))
    page = parse(response)
    html = response.content.decode()

    assert response.status_code == 200
    assert 'class="skip-link"' in html
    assert 'class="site-header"' in html
    assert "/static/css/app.css" in html
    assert unlabelled_fields(page) == []
    names = {attrs.get("name") for _tag, attrs in page.fields}
    assert {"login", "password"} <= names
    # Sign-up is closed: no invitation to it.
    assert reverse("account_signup") not in html


@pytest.mark.parametrize("login", ["sapo", "sapo@example.jp"])
def test_a_supporter_signs_in_with_username_or_email(client, db, login):
    user = factories.user(username="sapo", email="sapo@example.jp", password="kiri-no-mori-77")

    response = client.post(
        reverse("account_login"), {"login": login, "password": "kiri-no-mori-77"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert int(client.session["_auth_user_id"]) == user.pk


def test_a_wrong_password_shows_the_error_in_our_layout(client, db):
    factories.user(username="sapo", password="kiri-no-mori-77")

    response = client.post(reverse("account_login"), {"login": "sapo", "password": "wrong"})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="errorlist' in html
    assert 'class="site-header"' in html


def test_signing_out_is_a_post_and_lands_on_the_home_page(client, db):
    client.force_login(factories.user())

    response = client.post(reverse("account_logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert "_auth_user_id" not in client.session


def test_the_header_is_rendered_once_per_role_and_page_with_each_requests_path_and_token(
    client, db
):
    caches["fragments"].clear()
    board = reverse("helpdesk_sessions:board")
    client.force_login(factories.supporter().user)
    first = client.get(board)
    client.force_login(factories.supporter().user)
    second = client.get(board, {"kind": "class"})
    client.force_login(factories.coordinator())
    coordinator = client.get(board)

    assert "_header.html" in [t.name for t in first.templates]
    assert "_header.html" not in [t.name for t in second.templates]
    html = second.content.decode()
    switcher = re.search(r'<form class="language-switcher".*?</form>', html, re.S)
    sign_out = re.search(r'<form class="inline-form".*?</form>', html, re.S)
    assert_forms_carry_the_visitors_token(second, sign_out[0])
    assert "csrfmiddlewaretoken" not in switcher[0]  # a GET form (config/i18n.py)
    assert f'name="next" value="{board}?kind=class"' in switcher[0]
    assert "__header-" not in second.content.decode()
    nav = re.search(r"<nav.*?</nav>", coordinator.content.decode(), re.S)[0]
    assert "#today" in nav
    assert reverse("helpdesk_sessions:my_shifts") not in nav
    assert "_header.html" in [t.name for t in coordinator.templates]
