"""At 150% text on a phone, the header leaves most of the first screen to the page: the menu
folds behind one "Menu" button that works without JavaScript (issue 8)."""

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse

from tests import factories
from tests.browser.test_pages_pass_accessibility_checks import (
    SERIOUS,
    check,
    sign_in,
    small_tap_targets,
)

# The stylesheet sets 112.5% of the browser's size; a reader who chose 150% text gets 1.5 times.
LARGE_TEXT = ":root { font-size: 168.75% !important; }"


def header_share(page) -> float:
    height = page.evaluate("document.querySelector('.site-header').getBoundingClientRect().height")
    return height / page.viewport_size["height"]  # 68% before the menu folded


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("persona", ["supporter", "coordinator"])
def test_at_150_percent_text_the_header_leaves_the_screen_to_the_page(
    live_server, page, persona, pytestconfig
):
    user = factories.supporter().user if persona == "supporter" else factories.coordinator()
    sign_in(page, live_server, user)
    page.context.route("**/htmx.min.js", lambda route: route.abort())  # no JavaScript needed
    page.goto(live_server.url + reverse("helpdesk_sessions:board"))
    page.add_style_tag(content=LARGE_TEXT)

    assert header_share(page) < 0.4
    menu = page.locator(".site-nav")
    assert not menu.locator("a").first.is_visible()
    output = Path(pytestconfig.getoption("output"))
    output.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=output / f"header-150-{persona}.png")

    page.locator(".site-menu > summary").click()

    assert small_tap_targets(page) == []
    link = menu.locator(f"a[href='{reverse('helpdesk_sessions:board')}']")
    assert link.is_visible()
    page.screenshot(path=output / f"header-150-{persona}-open.png")
    menu.locator("a[href$='#helpdesks']").click()
    page.wait_for_url(live_server.url + reverse("home") + "#helpdesks")


@pytest.mark.django_db(transaction=True)
def test_on_a_wide_screen_the_menu_is_open_without_a_tap(live_server, page):
    sign_in(page, live_server, factories.supporter().user)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live_server.url + reverse("helpdesk_sessions:board"))

    assert page.locator(".site-nav a[href$='#helpdesks']").is_visible()
    assert not page.locator(".site-menu > summary").is_visible()


@pytest.mark.django_db(transaction=True)
def test_the_folded_menu_passes_axe_open_and_closed(live_server, page):
    sign_in(page, live_server, factories.coordinator())
    check(page, reverse("helpdesk_sessions:board"), live_server)

    page.locator(".site-menu > summary").click()

    assert page.locator(".site-menu").get_attribute("open") is not None
    violations = [
        violation["id"]
        for violation in Axe().run(page).response["violations"]
        if violation["impact"] in SERIOUS
    ]
    assert violations == []
    assert small_tap_targets(page) == []
