"""After a group visit, its lead supporter (from the visit's page on their phone) or a
coordinator files the report: residents who came, topics, devices, notes, who of the team came.
The request is done, the session held, and the annual figures count it."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from config.fiscal import FiscalYear
from consultations.models import SessionReport
from consultations.services import ReportError, annual_figures, file_visit_report
from sessions.models import ContactAccess, Shift
from supporters.services import create_api_token
from tests import factories
from tests.clock import JUNE_MONDAY_10AM as MONDAY_10AM

pytestmark = pytest.mark.usefixtures("in_english")


@pytest.fixture
def visit(db, time_machine):
    """A visit on Monday 10:00 with a lead and a helper, created the week before."""
    time_machine.move_to(MONDAY_10AM - timedelta(days=7), tick=False)
    request = factories.scheduled_visit(
        starts_at=MONDAY_10AM, residents_count=9, devices=["iphone"]
    )
    request.topics.add(factories.topic(code="line", name="LINE"))
    lead = factories.supporter(given_name="一郎")
    helper = factories.supporter(given_name="花子")
    factories.shift(session=request.session, supporter=lead, role=Shift.Role.LEAD)
    factories.shift(session=request.session, supporter=helper)
    request.lead, request.helper = lead, helper
    return request


@pytest.fixture
def after_the_visit(visit, time_machine):
    time_machine.move_to(MONDAY_10AM + timedelta(hours=3), tick=False)


def report_url(request):
    return reverse("consultations:visit_report", args=[request.pk])


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.usefixtures("after_the_visit")
def test_the_lead_files_the_report_from_the_visits_page(visit):
    lead = signed_in(visit.lead.user)
    page = lead.get(reverse("helpdesk_sessions:roster", args=[visit.session.pk]))
    assert report_url(visit) in page.content.decode()
    assert visit.representative_name in page.content.decode()  # assigned: may see the contact
    assert ContactAccess.objects.get().where == "team"

    form = lead.get(report_url(visit)).context["form"]
    assert form.initial["participants"] == 9
    response = lead.post(
        report_url(visit),
        {
            "participants": "11",
            "topics": [t.pk for t in visit.topics.all()],
            "devices": ["iphone", "android"],
            "attended": [str(visit.lead.pk)],
            "notes": "写真の送り方が好評",
        },
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("helpdesk_sessions:my_shifts")
    visit.refresh_from_db()
    visit.session.refresh_from_db()
    report = SessionReport.objects.get()
    assert (visit.status, visit.session.status) == ("done", "held")
    assert (report.participants, report.devices, report.recorded_by) == (
        11,
        ["android", "iphone"],
        visit.lead.user,
    )
    assert [t.code for t in report.topics.all()] == ["line"]
    shifts = dict(visit.session.shifts.values_list("supporter_id", "status"))
    assert shifts == {visit.lead.pk: "attended", visit.helper.pk: "no_show"}
    figures = annual_figures(FiscalYear.of(MONDAY_10AM.date()))
    assert (figures.dispatches_held, figures.dispatch_participants) == (1, 11)


@pytest.mark.usefixtures("after_the_visit")
def test_only_the_lead_or_a_coordinator_may_file_it(visit, client):
    assert signed_in(visit.helper.user).get(report_url(visit)).status_code == 403
    assert signed_in(factories.supporter().user).get(report_url(visit)).status_code == 403
    assert client.get(report_url(visit)).status_code == 302  # to sign in
    assert signed_in(factories.coordinator()).get(report_url(visit)).status_code == 200


def test_a_stranger_on_no_team_never_sees_the_representative(visit):
    stranger = signed_in(factories.supporter().user)

    page = stranger.get(reverse("helpdesk_sessions:roster", args=[visit.session.pk]))

    assert page.status_code == 403
    assert not ContactAccess.objects.exists()


def test_the_report_waits_for_the_visit(visit, monday_10am, time_machine):
    time_machine.move_to(MONDAY_10AM - timedelta(days=1), tick=False)

    with pytest.raises(ReportError) as refusal:
        file_visit_report(visit, participants=5, by=visit.lead.user)

    assert refusal.value.code == "not_over"
    assert not SessionReport.objects.exists()


@pytest.mark.usefixtures("after_the_visit")
def test_a_wrong_number_changes_nothing(visit):
    response = signed_in(visit.lead.user).post(report_url(visit), {"participants": "-1"})

    assert response.status_code == 200
    assert response.context["form"].errors["participants"]
    visit.refresh_from_db()
    assert visit.status == "scheduled"
    assert not SessionReport.objects.exists()


@pytest.mark.usefixtures("after_the_visit")
def test_filing_again_corrects_the_report(visit):
    file_visit_report(visit, participants=5, attended=[visit.lead.pk], by=visit.lead.user)
    file_visit_report(
        visit, participants=7, attended=[visit.lead.pk, visit.helper.pk], by=visit.lead.user
    )

    assert SessionReport.objects.get().participants == 7
    assert set(visit.session.shifts.values_list("status", flat=True)) == {"attended"}


@pytest.mark.usefixtures("after_the_visit")
def test_the_report_through_the_api(visit, client):
    _token, key = create_api_token(visit.lead.user, "test")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}", "HTTP_ACCEPT_LANGUAGE": "en"}
    url = f"/api/dispatch-requests/{visit.pk}/report"

    def post(data, **extra):
        return client.post(url, json.dumps(data), content_type="application/json", **extra)

    filed = post({"participants": 8, "devices": ["tablet"], "attended": [visit.lead.pk]}, **headers)
    bad = post({"participants": 8, "devices": ["fax"]}, **headers)
    _token, helper_key = create_api_token(visit.helper.user, "test")
    refused = post({"participants": 8}, HTTP_AUTHORIZATION=f"Bearer {helper_key}")

    assert filed.status_code == 200
    assert filed.json()["participants"] == 8
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid")
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    visit.refresh_from_db()
    assert visit.status == "done"
