"""A supporter prints their certificate of hours for last fiscal year (issue 13): from My shifts
on a phone, passing axe and the size rules, then printed to PDF on A4: one page, with the name
and the hours, and nothing of the site's menus. Screenshots go to /tmp/shots/."""

import re
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest

from config.fiscal import TOKYO, FiscalYear
from sessions.models import Session, Shift
from tests import factories
from tests.browser.test_pages_pass_accessibility_checks import check, sign_in

SHOTS = Path("/tmp/shots")


def pdf_pages(pdf: bytes) -> int:
    """The page objects in a PDF (`/Type /Page`, not the `/Type /Pages` tree above them)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


@pytest.mark.django_db(transaction=True)
def test_a_supporter_prints_last_years_certificate_on_one_a4_page(live_server, page):
    supporter = factories.supporter(family_name="赤城", given_name="花子")
    last_year = FiscalYear(FiscalYear.current().start_year - 1)
    kinds = [Session.Kind.HELPDESK, Session.Kind.DISPATCH, Session.Kind.CLASS]
    for n in range(30):  # a busy year: the page must still fit on one sheet
        start = datetime.combine(last_year.first_day + timedelta(days=7 * n), time(10), TOKYO)
        session = factories.session(
            kind=kinds[n % 3],
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            status=Session.Status.HELD,
        )
        factories.shift(session=session, supporter=supporter, status=Shift.Status.ATTENDED)
    sign_in(page, live_server, supporter.user)
    SHOTS.mkdir(parents=True, exist_ok=True)

    page.goto(f"{live_server.url}/me/shifts/")
    page.get_by_role("link", name=re.compile(str(last_year.start_year))).click()
    url = f"/me/certificate/?fiscal_year={last_year.start_year}"
    page.wait_for_url(live_server.url + url)
    check(page, url, live_server)  # axe, 44 px, 16 px, no other site
    page.screenshot(path=SHOTS / "certificate-phone.png", full_page=True)

    page.emulate_media(media="print")
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    printed = page.locator("body").inner_text()
    assert "赤城 花子" in printed
    assert "60.0" in printed  # 30 shifts of 2 hours
    assert not page.locator(".certificate-tools").is_visible()
    page.screenshot(path=SHOTS / "certificate-printed.png", full_page=True)
    pdf = page.pdf(format="A4", print_background=True)
    (SHOTS / "certificate.pdf").write_bytes(pdf)
    assert pdf_pages(pdf) == 1
