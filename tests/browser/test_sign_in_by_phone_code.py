"""In a phone-sized browser, a supporter signs in with their number and the code from the SMS."""

import re
from pathlib import Path

import pytest
from django.core.cache import cache
from django.urls import reverse

from notifications.models import OutboundMessage
from tests import factories

PHONE = "+819012345678"


@pytest.mark.django_db(transaction=True)
def test_a_supporter_signs_in_with_the_code_from_the_text_message(live_server, page, pytestconfig):
    cache.clear()  # the cache table outlives transactional tests' flushes: no earlier counts
    account = factories.user(phone=PHONE, phone_verified=True, language="ja")
    factories.supporter(user=account, family_name="前橋", given_name="花子")

    page.goto(live_server.url + reverse("account_login"))
    phone = page.locator("#id_phone")
    assert phone.get_attribute("type") == "tel"
    phone.fill("090-1234-5678")
    page.locator("form:has(#id_phone) button[type=submit]").click()

    page.wait_for_url(re.compile(re.escape(reverse("account_confirm_login_code")) + "$"))
    message = OutboundMessage.objects.get(to=PHONE, purpose=OutboundMessage.Purpose.SIGN_IN_CODE)
    code = re.search(r"(?<!\d)\d{6}(?!\d)", message.body)[0]
    field = page.locator("input[name=code]")
    assert field.get_attribute("inputmode") == "numeric"
    assert field.get_attribute("autocomplete") == "one-time-code"
    field.fill(code)
    field.press("Enter")

    page.wait_for_url(live_server.url + reverse("home"))
    # Signed in: the header offers to sign out instead of signing in.
    assert page.locator(f"form[action='{reverse('account_logout')}']").count() == 1
    assert page.locator(f"a[href='{reverse('account_login')}']").count() == 0
    assert page.viewport_size == {"width": 390, "height": 844}
    output = Path(pytestconfig.getoption("output"))
    output.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=output / "sign-in-by-phone-code.png", full_page=True)
