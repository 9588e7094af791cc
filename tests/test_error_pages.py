"""403, 404, 400 and 500 are the site's own pages, in the reader's language (issue 8)."""

from django.core.exceptions import SuspiciousOperation
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.views import defaults

from tests import factories


def test_a_supporter_on_a_coordinator_page_gets_the_translated_403_in_the_site_layout(
    supporter_client, settings
):
    settings.DEBUG = False
    session = factories.session()

    response = supporter_client.get(reverse("helpdesk_sessions:roster", args=[session.pk]))

    assert response.status_code == 403
    page = response.content.decode()
    assert '<html lang="ja">' in page
    assert "Forbidden" not in page
    assert 'class="site-header"' in page
    assert 'class="site-footer"' in page
    assert f'href="{reverse("home")}"' in page


def test_the_403_reads_in_english_for_an_english_reader(supporter_client, settings):
    settings.DEBUG = False

    response = supporter_client.get(
        reverse("helpdesk_sessions:checkin_posters"), headers={"Accept-Language": "en"}
    )

    assert response.status_code == 403
    assert "This page is not for you" in response.content.decode()


def test_an_unknown_address_gets_the_404_in_the_site_layout(client, db, settings):
    settings.DEBUG = False

    response = client.get("/no-such-page/", headers={"Accept-Language": "en"})

    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page
    assert 'class="site-header"' in page


def test_the_500_page_renders_without_a_request_or_the_database(rf, db):
    request = rf.get("/")
    with translation.override("en"), CaptureQueriesContext(connection) as queries:
        response = defaults.server_error(request)

    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong" in page
    assert '<html lang="en">' in page
    assert "/static/css/app.css" in page
    assert len(queries) == 0


def test_an_error_in_a_view_answers_the_500_page(db, settings, monkeypatch):
    settings.DEBUG = False
    monkeypatch.setattr("config.views.helpdesk_venues_with_dates", _broken)
    client = Client(raise_request_exception=False)

    response = client.get(reverse("home"), headers={"Accept-Language": "en"})

    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


def test_a_bad_request_answers_the_400_page(rf):
    with translation.override("en"):
        response = defaults.bad_request(rf.get("/"), SuspiciousOperation())

    assert response.status_code == 400
    assert "The request could not be understood" in response.content.decode()


def _broken():
    raise RuntimeError("a bug")
