"""A coordinator reads the annual report (issue 12) on a phone (390×844) and a tablet, in
Japanese: axe and the size rules pass, wide tables scroll in their own box, the charts show;
and the print view prints to A4 PDF with the headline table and the charts. Screenshots and the
PDF go to /tmp/statspage-shots/."""

import re
from datetime import datetime
from pathlib import Path

import pytest
from django.utils import timezone

from config.fiscal import TOKYO
from consultations.models import AgeBand
from sessions.models import Session
from tests import factories
from tests.browser.test_pages_pass_accessibility_checks import check, sign_in

SHOTS = Path("/tmp/statspage-shots")
URL = "/stats/annual/?fiscal_year=2024"
PRINT_URL = "/stats/annual/print/?fiscal_year=2024"


@pytest.fixture
def two_years(db):
    """FY2023 and FY2024 at three halls: help desks every month, consultations on three
    topics, group visits and a class."""
    halls = [factories.venue(name=name) for name in ("東公民館", "南橘公民館", "総合福祉会館")]
    topics = [
        factories.topic(code="line", name="LINE"),
        factories.topic(code="photos", name="写真・カメラ"),
        factories.topic(code="mynumber", name="マイナンバーカード・マイナポータル"),
    ]
    for year, per_session in ((2023, 2), (2024, 3)):
        for i, hall in enumerate(halls):
            for month in (4, 5, 6, 7, 9, 10, 11, 12, 1, 2, 3):
                calendar_year = year if month >= 4 else year + 1
                session = factories.session(
                    venue=hall,
                    status=Session.Status.HELD,
                    starts_at=datetime(calendar_year, month, 8 + i, 10, tzinfo=TOKYO),
                )
                for n in range(per_session + (month % 3)):
                    factories.consultation(
                        session=session, topic=topics[n % 3], age_band=AgeBand.AGE_70S
                    )
        visit = factories.session(
            kind=Session.Kind.DISPATCH,
            status=Session.Status.HELD,
            starts_at=datetime(year, 10, 2, 13, 30, tzinfo=TOKYO),
            venue=halls[0],
        )
        factories.session_report(session=visit, participants=9 + year % 3)
    factories.session(
        kind=Session.Kind.CLASS,
        status=Session.Status.HELD,
        venue=halls[1],
        starts_at=datetime(2024, 9, 4, 10, tzinfo=TOKYO),
    )
    return halls


def headline_value(page, key) -> str:
    return page.locator(f"#figure-{key} td").first.inner_text().strip()


@pytest.mark.django_db(transaction=True)
def test_a_coordinator_reads_the_report_on_a_phone_and_a_tablet(
    live_server, browser, page, two_years
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    coordinator = factories.coordinator()
    sign_in(page, live_server, coordinator)

    check(page, URL, live_server)  # axe, 44 px targets, 16 px text, nothing from another site
    assert "2024年度（令和6年度）" in page.locator("h1").inner_text()
    consultations = headline_value(page, "consultations")
    assert re.fullmatch(r"\d{2,3}", consultations)
    # The page itself never scrolls sideways; the venue × month table does, in its own box.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    caption = page.locator("#caption-consultations_by_venue_month")
    months = page.locator(".table-scroll", has=caption)
    assert months.evaluate("box => box.scrollWidth > box.clientWidth")
    # On a phone the months are drawn one under the other; the upright chart is for wide screens.
    assert page.locator("svg.chart--narrow").first.is_visible()
    assert not page.locator("svg.chart--wide").first.is_visible()
    assert page.locator("svg[role=img]:visible").count() >= 8
    page.screenshot(path=SHOTS / "report-phone.png", full_page=True)
    page.screenshot(path=SHOTS / "report-phone-top.png")

    tablet = browser.new_context(
        viewport={"width": 820, "height": 1180}, locale="ja-JP", timezone_id="Asia/Tokyo"
    )
    wide = tablet.new_page()
    sign_in(wide, live_server, coordinator)
    check(wide, URL, live_server)
    assert wide.locator("svg.chart--wide").first.is_visible()
    assert headline_value(wide, "consultations") == consultations
    wide.screenshot(path=SHOTS / "report-tablet.png", full_page=True)
    tablet.close()


def pdf_pages(pdf: bytes) -> list[bytes]:
    """The page objects' MediaBoxes: Chromium writes each page's dictionary uncompressed."""
    return re.findall(rb"/Type\s*/Page\b(?!s).*?/MediaBox\s*\[([^\]]*)\]", pdf, re.S)


@pytest.mark.django_db(transaction=True)
def test_the_print_view_prints_on_a4_with_the_headline_and_the_charts(live_server, page, two_years):
    SHOTS.mkdir(parents=True, exist_ok=True)
    sign_in(page, live_server, factories.coordinator())
    check(page, PRINT_URL, live_server)
    consultations = headline_value(page, "consultations")

    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    page.emulate_media(media="print")
    # As printed: no menu, the cover line, the headline table and every chart drawn.
    assert page.locator(".site-header").count() == 0
    assert not page.locator("nav.no-print").is_visible()
    today = timezone.localdate()
    issued = f"{today.year}年{today.month}月{today.day}日"
    assert issued in page.locator(".report-cover").inner_text()
    assert page.locator("#caption-headline").is_visible()
    assert headline_value(page, "consultations") == consultations
    charts = page.locator("svg[role=img]")
    visible = [charts.nth(i).bounding_box() for i in range(charts.count())]
    visible = [box for box in visible if box and box["width"] > 150 and box["height"] > 60]
    assert len(visible) >= 10
    breaks = page.locator(".report-section").evaluate_all(
        "sections => sections.map(s => getComputedStyle(s).breakBefore)"
    )
    assert breaks[0] == "auto"  # the headline shares the cover's page
    assert set(breaks[1:]) == {"page"}
    page.screenshot(path=SHOTS / "report-print-page1.png")

    pdf = page.pdf(format="A4", print_background=True, path=SHOTS / "report.pdf")

    boxes = pdf_pages(pdf)
    assert len(boxes) >= len(breaks) >= 2  # each section after the headline on a page of its own
    width, height = (float(n) for n in boxes[0].split()[2:4])
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)  # A4, in mm
