"""Coordinators run the programme from the admin: every model, both personas, fixed query counts."""

import itertools
import uuid
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.apps import apps
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.auth.models import Permission
from django.db import connection
from django.forms import MultiWidget
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from config.fiscal import TOKYO
from consultations.models import ConsultationChange, Feedback, PublishedReport, TallyConfirmation
from notifications.models import InboundMessage, OptOut, OutboundMessage
from notifications.services import queue_sms
from sessions.models import (
    ClassSeries,
    ContactAccess,
    CoverOffer,
    CoverRequest,
    DispatchInvitation,
    RequestEvent,
    Session,
    Shift,
)
from supporters.models import ApiToken, Availability, Skill, SpokenLanguage, Supporter, User
from tests import factories
from tests.versions import settle_public_version

OUR_APPS = ["supporters", "venues", "helpdesk_sessions", "consultations", "notifications"]
# Made by code, not by hand: the outbox and the inbox by the SMS machinery, tokens by the API.
NO_ADD_PAGE = {
    "supporters.apitoken",
    "supporters.invitation",  # sent from the invitations page, which makes the link's secret
    "notifications.outboundmessage",
    "notifications.inboundmessage",
    "helpdesk_sessions.shift",  # put on a session from its roster page, through the rules
    # Records the services write (issue 10).
    "helpdesk_sessions.requestevent",
    "helpdesk_sessions.contactaccess",
    "helpdesk_sessions.dispatchinvitation",
    # Asked and answered by supporters (issue 13).
    "helpdesk_sessions.coverrequest",
    "helpdesk_sessions.coveroffer",
    "consultations.tallyconfirmation",  # confirm_tally writes it (issue 11)
    "consultations.feedback",  # residents' anonymous answers (issue 11)
    # The tally and a coordinator's corrections write them, with who and when (issue 11).
    "consultations.consultation",
    "consultations.consultationchange",
    "consultations.publishedreport",  # closing a year on the annual report's page (issue 12)
}
# Enough for a changelist with its filters and date drill-down, and far below one query a row.
CHANGELIST_QUERY_BUDGET = 16

_seq = itertools.count(1)


def valid_phone() -> str:
    # factories.phone_number() makes +8190000000NN, a range phonenumbers holds unassigned; a form
    # that re-validates the number needs a real one.
    return f"+81901234{next(_seq):04d}"


def make_skill() -> Skill:
    n = next(_seq)
    return Skill.objects.create(code=f"skill-{n}", name=f"スキル{n}")


def make_spoken_language() -> SpokenLanguage:
    n = next(_seq)
    return SpokenLanguage.objects.create(code=f"x-{n}", name=f"言語{n}")


def make_api_token(**kwargs) -> ApiToken:
    key = ApiToken.generate_key()
    fields = {"user": factories.user(), "name": "集計スクリプト", **kwargs}
    return ApiToken.objects.create(key_hash=ApiToken.hash_key(key), hint=key[:12], **fields)


def make_outbound_message(**kwargs) -> OutboundMessage:
    fields = {
        "to": factories.phone_number(),
        "body": "明日10時から城南公民館でよろず相談所です。",
        "purpose": OutboundMessage.Purpose.REMINDER,
        "idempotency_key": f"test:{next(_seq)}",
        **kwargs,
    }
    return OutboundMessage.objects.create(**fields)


def make_opt_out() -> OptOut:
    return OptOut.objects.create(phone=factories.phone_number())


def make_inbound_message(**kwargs) -> InboundMessage:
    fields = {
        "from_number": factories.phone_number(),
        "body": "明日は行けません",
        "provider_id": f"SM{next(_seq):032d}",
        **kwargs,
    }
    return InboundMessage.objects.create(**fields)


def make_session_with_shifts() -> Session:
    session = factories.session(kind=Session.Kind.CLASS)
    factories.shift(session=session)
    factories.shift(session=session, role=Shift.Role.LEAD)
    factories.class_registration(session=session)
    return session


# One row of each model, with the relations its changelist shows.
def make_cover_request():
    shift = factories.shift()
    return CoverRequest.objects.create(shift=shift, deadline=shift.session.starts_at)


MAKERS = {
    "supporters.user": lambda: factories.supporter().user,
    "supporters.skill": make_skill,
    "supporters.spokenlanguage": make_spoken_language,
    "supporters.supporter": factories.supporter,
    "supporters.apitoken": make_api_token,
    "supporters.invitation": factories.invitation,
    "venues.district": lambda: factories.district(code=f"d{next(_seq)}"),
    "venues.venue": factories.venue,
    "venues.helpdeskschedule": factories.schedule,
    "venues.closure": factories.closure,
    "helpdesk_sessions.session": make_session_with_shifts,
    "helpdesk_sessions.shift": factories.shift,
    "helpdesk_sessions.dispatchrequest": lambda: factories.dispatch_request(
        district=factories.district()
    ),
    "helpdesk_sessions.classregistration": factories.class_registration,
    "helpdesk_sessions.classseries": lambda: ClassSeries.objects.create(title="5段階講座"),
    "helpdesk_sessions.requestevent": lambda: RequestEvent.objects.create(
        request=factories.dispatch_request(), kind="received"
    ),
    "helpdesk_sessions.contactaccess": lambda: ContactAccess.objects.create(
        request=factories.dispatch_request(), user=factories.user(), where="page"
    ),
    "helpdesk_sessions.coverrequest": lambda: make_cover_request(),
    "helpdesk_sessions.coveroffer": lambda: CoverOffer.objects.create(
        request=make_cover_request(), supporter=factories.supporter()
    ),
    "helpdesk_sessions.dispatchinvitation": lambda: DispatchInvitation.objects.create(
        session=factories.session(kind="dispatch"), supporter=factories.supporter()
    ),
    "supporters.availability": lambda: Availability.objects.create(
        supporter=factories.supporter(), weekday=1, part="morning"
    ),
    "consultations.topic": lambda: factories.topic(code=f"t{next(_seq)}"),
    "consultations.consultation": lambda: factories.consultation(recorded_by=factories.user()),
    "consultations.consultationchange": lambda: ConsultationChange.objects.create(
        consultation=factories.consultation(recorded_by=factories.user()),
        kind="edited",
        changes={"minutes": {"old": 15, "new": 20}},
        changed_by=factories.user(),
    ),
    "consultations.sessionreport": lambda: factories.session_report(recorded_by=factories.user()),
    "consultations.feedback": lambda: Feedback.objects.create(
        session=factories.session(), answer="good", device=uuid.uuid4().hex
    ),
    "consultations.tallyconfirmation": lambda: TallyConfirmation.objects.create(
        session=factories.session(), count=3, confirmed_at=timezone.now()
    ),
    "consultations.publishedreport": lambda: PublishedReport.objects.create(
        fiscal_year=2000 + next(_seq),
        figures={"headline": {}, "tables": {}},
        closed_at=timezone.now(),
    ),
    "notifications.outboundmessage": make_outbound_message,
    "notifications.optout": make_opt_out,
    "notifications.inboundmessage": make_inbound_message,
}


def admin_url(label: str, view: str, *args) -> str:
    app_label, model_name = label.split(".")
    return reverse(f"admin:{app_label}_{model_name}_{view}", args=args)


def post_action(client, label, action, objects):
    """Run a changelist action; the answer comes in English so tests can read its messages."""
    return client.post(
        admin_url(label, "changelist"),
        {"action": action, helpers.ACTION_CHECKBOX_NAME: [obj.pk for obj in objects]},
        headers={"accept-language": "en"},
        follow=True,
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_every_model_of_our_apps_has_an_admin():
    ours = {
        model._meta.label_lower
        for app_label in OUR_APPS
        for model in apps.get_app_config(app_label).get_models()
    }
    assert ours == set(MAKERS)
    assert ours <= {model._meta.label_lower for model in admin.site._registry}


@pytest.mark.parametrize("label", sorted(MAKERS))
def test_staff_open_the_list_the_add_page_and_a_record_of_every_model(staff_client, label):
    obj = MAKERS[label]()

    changelist = staff_client.get(admin_url(label, "changelist"))
    change = staff_client.get(admin_url(label, "change", obj.pk))
    add = staff_client.get(admin_url(label, "add"))

    assert changelist.status_code == 200
    assert change.status_code == 200
    assert add.status_code == (403 if label in NO_ADD_PAGE else 200)


def changelist_queries(client, label) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(admin_url(label, "changelist"))
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("label", sorted(MAKERS))
def test_a_changelist_runs_the_same_queries_for_5_rows_as_for_30(
    staff_client, label, django_assert_max_num_queries
):
    for _ in range(5):
        MAKERS[label]()
    settle_public_version()
    with_5 = changelist_queries(staff_client, label)
    for _ in range(25):
        MAKERS[label]()

    settle_public_version()
    with django_assert_max_num_queries(CHANGELIST_QUERY_BUDGET):
        with_30 = changelist_queries(staff_client, label)

    assert with_30 == with_5


def test_the_session_list_shows_local_time_and_staffing(admin_client):
    session = factories.session(
        starts_at=timezone.make_aware(timezone.datetime(2026, 5, 12, 10, 0)),
        supporters_needed=3,
    )
    factories.shift(session=session)
    factories.shift(session=session, status=Shift.Status.CANCELLED)

    page = admin_client.get(admin_url("helpdesk_sessions.session", "changelist")).content.decode()

    assert "10:00" in page
    assert "12:00" in page
    assert "1 / 3" in page


def test_the_staffing_filter_finds_sessions_that_need_supporters(admin_client):
    short = factories.session(supporters_needed=2)
    factories.shift(session=short)
    full = factories.session(supporters_needed=1)
    factories.shift(session=full)

    response = admin_client.get(
        admin_url("helpdesk_sessions.session", "changelist"), {"staffing": "short"}
    )

    assert list(response.context["cl"].result_list) == [short]


def test_marking_sessions_held_changes_only_scheduled_sessions_that_have_started(staff_client):
    past = factories.session(starts_at=timezone.now() - timedelta(days=1))
    future = factories.session()
    cancelled = factories.session(
        starts_at=timezone.now() - timedelta(days=2), status=Session.Status.CANCELLED
    )

    response = post_action(
        staff_client, "helpdesk_sessions.session", "mark_held", [past, future, cancelled]
    )

    assert messages_of(response) == [
        "1 session marked as held.",
        "1 was left as it was: A session can be marked as held only once it has started.",
        "1 was left as it was: A cancelled session cannot be marked as held.",
    ]
    statuses = dict(Session.objects.values_list("pk", "status"))
    assert statuses == {past.pk: "held", future.pk: "scheduled", cancelled.pk: "cancelled"}


def test_cancelling_sessions_leaves_held_ones_alone(staff_client):
    upcoming = factories.session()
    held = factories.session(
        starts_at=timezone.now() - timedelta(days=1), status=Session.Status.HELD
    )

    post_action(staff_client, "helpdesk_sessions.session", "cancel", [upcoming, held])

    upcoming.refresh_from_db()
    held.refresh_from_db()
    assert (upcoming.status, held.status) == ("cancelled", "held")


def test_a_session_is_cancelled_from_its_own_page(admin_client):
    session = factories.session()

    admin_client.post(
        admin_url("helpdesk_sessions.session", "change", session.pk),
        {"CHANGE_FORM-action": "cancel", helpers.ACTION_CHECKBOX_NAME: [session.pk]},
    )

    session.refresh_from_db()
    assert session.status == Session.Status.CANCELLED


def test_a_class_session_page_has_its_roster_registrations_and_report(admin_client):
    session = factories.session(kind=Session.Kind.CLASS)
    shift = factories.shift(session=session)
    registration = factories.class_registration(session=session)

    page = admin_client.get(admin_url("helpdesk_sessions.session", "change", session.pk))

    prefixes = {formset.formset.prefix for formset in page.context["inline_admin_formsets"]}
    assert prefixes == {"shifts", "registrations", "report"}
    assert shift.supporter.family_name in page.content.decode()
    assert registration.reference in page.content.decode()


def test_a_report_added_on_the_session_page_is_recorded_by_the_coordinator(admin_client):
    session = factories.session(
        kind=Session.Kind.DISPATCH,
        starts_at=timezone.now() - timedelta(days=1),
        status=Session.Status.HELD,
    )
    page = admin_client.get(admin_url("helpdesk_sessions.session", "change", session.pk))
    data = form_data(page)
    data.update({"report-TOTAL_FORMS": "1", "report-0-participants": "8", "_save": "1"})

    response = admin_client.post(admin_url("helpdesk_sessions.session", "change", session.pk), data)

    assert_saved(response)
    session.report.refresh_from_db()
    assert session.report.participants == 8
    assert session.report.recorded_by == response.wsgi_request.user


def assert_saved(response):
    """A saved admin form redirects; a refused one comes back with its errors, shown here."""
    if response.status_code == 200:
        errors = [response.context["adminform"].form.errors]
        errors += [formset.formset.errors for formset in response.context["inline_admin_formsets"]]
        errors += [
            formset.formset.non_form_errors()
            for formset in response.context["inline_admin_formsets"]
        ]
        raise AssertionError(errors)
    assert response.status_code == 302


def form_data(page) -> dict:
    """The POST a browser would send back for an admin change page, unchanged."""
    data = {}
    forms = [page.context["adminform"].form]
    for formset in page.context["inline_admin_formsets"]:
        data.update(
            {
                f"{formset.formset.prefix}-{key}": value
                for key, value in formset.formset.management_form.initial.items()
            }
        )
        forms.extend(formset.formset.forms)
    for form in forms:
        for bound in form:
            value = bound.value()
            if value is None or value is False:
                continue
            if isinstance(bound.field.widget, MultiWidget):
                for index, part in enumerate(bound.field.widget.decompress(value)):
                    data[f"{bound.html_name}_{index}"] = str(part)
            elif isinstance(value, list):
                data[bound.html_name] = [str(item) for item in value]
            else:
                data[bound.html_name] = value if value is not True else "on"
    return data


def test_coordinator_revokes_tokens_and_a_revoked_token_keeps_its_date(client, staff_coordinator):
    client.force_login(staff_coordinator)
    first_revoked = timezone.now() - timedelta(days=3)
    live = make_api_token()
    revoked = make_api_token(revoked_at=first_revoked)

    response = post_action(client, "supporters.apitoken", "revoke", [live, revoked])

    assert response.status_code == 200
    live.refresh_from_db()
    revoked.refresh_from_db()
    assert live.revoked_at is not None
    assert revoked.revoked_at == first_revoked


def test_the_token_page_never_shows_the_hash(admin_client):
    token = make_api_token()

    page = admin_client.get(admin_url("supporters.apitoken", "change", token.pk)).content.decode()

    assert token.hint in page
    assert token.key_hash not in page


def test_a_coordinator_cannot_delete_a_user(client, staff_coordinator):
    client.force_login(staff_coordinator)
    account = factories.user()

    page = client.get(admin_url("supporters.user", "delete", account.pk))
    post = client.post(admin_url("supporters.user", "delete", account.pk), {"post": "yes"})
    changelist = client.get(admin_url("supporters.user", "changelist"))

    assert page.status_code == post.status_code == 403
    assert b'value="delete_selected"' not in changelist.content
    assert User.objects.filter(pk=account.pk).exists()


def test_a_coordinator_cannot_take_over_a_superuser_account(client, staff_coordinator, superuser):
    client.force_login(staff_coordinator)

    password = client.get(reverse("admin:auth_user_password_change", args=[superuser.pk]))
    change = client.post(
        admin_url("supporters.user", "change", superuser.pk),
        {"username": "root", "is_active": ""},
    )

    assert password.status_code == change.status_code == 403
    superuser.refresh_from_db()
    assert superuser.is_active


def test_a_coordinator_cannot_change_an_account_with_powers_they_lack(client, staff_coordinator):
    client.force_login(staff_coordinator)
    groups_admin = factories.user(is_staff=True)
    groups_admin.user_permissions.add(Permission.objects.get(codename="change_group"))
    fellow = factories.coordinator(is_staff=True)

    refused = client.get(reverse("admin:auth_user_password_change", args=[groups_admin.pk]))
    allowed = client.get(reverse("admin:auth_user_password_change", args=[fellow.pk]))

    assert (refused.status_code, allowed.status_code) == (403, 200)


def test_a_coordinator_cannot_make_anyone_a_superuser(client, staff_coordinator):
    client.force_login(staff_coordinator)
    account = factories.supporter(user=factories.user(phone=valid_phone())).user
    page = client.get(admin_url("supporters.user", "change", account.pk))
    data = form_data(page)
    data.update({"is_superuser": "on", "is_staff": "on", "first_name": "Hana", "_save": "1"})

    response = client.post(admin_url("supporters.user", "change", account.pk), data)

    assert_saved(response)
    account.refresh_from_db()
    assert account.first_name == "Hana"
    assert not account.is_superuser
    assert not account.is_staff


def test_adding_a_user_stores_the_phone_in_e164(staff_client):
    response = staff_client.post(
        admin_url("supporters.user", "add"),
        {
            "username": "akagi",
            "usable_password": "true",
            "password1": "maebashi-sapo-2026",
            "password2": "maebashi-sapo-2026",
            "phone": "090-1234-5678",
            "language": "ja",
        },
    )

    assert response.status_code == 302
    account = User.objects.get(username="akagi")
    assert account.phone == "+819012345678"
    assert account.check_password("maebashi-sapo-2026")


def test_adding_a_user_with_a_wrong_phone_number_is_refused(admin_client):
    response = admin_client.post(
        admin_url("supporters.user", "add"),
        {
            "username": "akagi",
            "usable_password": "true",
            "password1": "maebashi-sapo-2026",
            "password2": "maebashi-sapo-2026",
            "phone": "1234",
            "language": "ja",
        },
    )

    assert response.status_code == 200
    assert "phone" in response.context["adminform"].form.errors
    assert not User.objects.filter(username="akagi").exists()


def test_the_user_page_has_the_supporter_profile_inline(admin_client):
    supporter = factories.supporter()

    page = admin_client.get(admin_url("supporters.user", "change", supporter.user.pk))

    [formset] = page.context["inline_admin_formsets"]
    assert formset.formset.model is Supporter
    assert formset.formset.forms[0].instance == supporter


def test_the_supporter_list_warns_of_expired_insurance(admin_client):
    factories.supporter(given_name="保険切れ", insurance_valid_until=date(2020, 3, 31))

    response = admin_client.get(
        admin_url("supporters.supporter", "changelist"), {"insurance": "expired"}
    )

    assert [s.given_name for s in response.context["cl"].result_list] == ["保険切れ"]
    assert "⚠" in response.content.decode()


def test_a_supporter_is_found_by_the_phone_number_as_people_write_it(admin_client):
    supporter = factories.supporter(user=factories.user(phone="+819012345678"))
    factories.supporter()

    response = admin_client.get(
        admin_url("supporters.supporter", "changelist"), {"q": "090-1234-5678"}
    )

    assert list(response.context["cl"].result_list) == [supporter]


def test_a_dispatch_request_is_found_by_its_reference_code(staff_client):
    wanted = factories.dispatch_request()
    factories.dispatch_request()

    response = staff_client.get(
        admin_url("helpdesk_sessions.dispatchrequest", "changelist"),
        {"q": wanted.reference.lower()},
    )

    assert list(response.context["cl"].result_list) == [wanted]


def test_a_dispatch_request_takes_the_devices_as_ticked_boxes(admin_client):
    request = factories.dispatch_request(representative_phone=valid_phone())
    page = admin_client.get(admin_url("helpdesk_sessions.dispatchrequest", "change", request.pk))
    data = form_data(page)
    data.update({"devices": ["iphone", "rakuraku"], "_save": "1"})

    response = admin_client.post(
        admin_url("helpdesk_sessions.dispatchrequest", "change", request.pk), data
    )

    assert_saved(response)
    request.refresh_from_db()
    assert request.devices == ["iphone", "rakuraku"]


def test_the_outbox_hides_sign_in_codes(admin_client):
    code = make_outbound_message(
        purpose=OutboundMessage.Purpose.SIGN_IN_CODE, body="確認コード 482913"
    )

    page = admin_client.get(admin_url("notifications.outboundmessage", "change", code.pk))

    assert "482913" not in page.content.decode()


def test_cancelling_messages_stops_only_those_not_sent_yet(staff_client):
    pending = make_outbound_message()
    sent = make_outbound_message(status=OutboundMessage.Status.SENT)

    post_action(staff_client, "notifications.outboundmessage", "cancel_pending", [pending, sent])

    assert dict(OutboundMessage.objects.values_list("pk", "status")) == {
        pending.pk: "cancelled",
        sent.pk: "sent",
    }


def test_incoming_messages_are_marked_as_read(staff_client):
    unread = make_inbound_message()

    post_action(staff_client, "notifications.inboundmessage", "mark_read", [unread])

    unread.refresh_from_db()
    assert unread.is_read


def test_an_opt_out_is_added_with_the_number_as_people_write_it(staff_client):
    response = staff_client.post(
        admin_url("notifications.optout", "add"), {"phone": "080-1111-2222", "source": "phone"}
    )

    assert response.status_code == 302
    assert OptOut.objects.get().phone == "+818011112222"


def test_a_coordinator_sees_every_programme_model_on_the_admin_index(client, staff_coordinator):
    client.force_login(staff_coordinator)

    index = client.get(reverse("admin:index"))

    shown = {
        model["object_name"].lower() for app in index.context["app_list"] for model in app["models"]
    }
    assert {label.split(".")[1] for label in MAKERS} <= shown


def test_a_schedule_creates_its_sessions_for_the_next_8_weeks_once(staff_client):
    schedule = factories.schedule()  # 2nd and 4th Tuesday, 10:00–12:00

    with time_machine.travel(datetime(2026, 5, 1, 9, 0, tzinfo=TOKYO), tick=False):
        post_action(staff_client, "venues.helpdeskschedule", "generate_sessions", [schedule])
        again = post_action(
            staff_client, "venues.helpdeskschedule", "generate_sessions", [schedule]
        )

    starts = [
        timezone.localtime(starts_at)
        for starts_at in Session.objects.filter(schedule=schedule).values_list(
            "starts_at", flat=True
        )
    ]
    assert [(s.month, s.day, s.hour) for s in starts] == [
        (5, 12, 10),
        (5, 26, 10),
        (6, 9, 10),
        (6, 23, 10),
    ]
    assert messages_of(again) == ["0 sessions created."]


def test_a_coordinator_sees_a_token_but_cannot_change_it(client, staff_coordinator):
    client.force_login(staff_coordinator)
    token = make_api_token(name="old name")

    page = client.get(admin_url("supporters.apitoken", "change", token.pk))
    post = client.post(admin_url("supporters.apitoken", "change", token.pk), {"name": "new"})

    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert post.status_code == 403
    token.refresh_from_db()
    assert token.name == "old name"


def test_a_coordinator_finds_a_supporter_for_a_shift_by_kana(client, staff_coordinator):
    client.force_login(staff_coordinator)
    wanted = factories.supporter(family_name_kana="あかぎ")
    factories.supporter(family_name_kana="はるな")

    response = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "helpdesk_sessions",
            "model_name": "shift",
            "field_name": "supporter",
            "term": "あかぎ",
        },
    )

    assert [result["id"] for result in response.json()["results"]] == [str(wanted.pk)]


def test_a_session_without_shifts_is_deleted_from_the_list(admin_client):
    session = factories.session()

    admin_client.post(
        admin_url("helpdesk_sessions.session", "changelist"),
        {"action": "delete_selected", helpers.ACTION_CHECKBOX_NAME: [session.pk], "post": "yes"},
    )

    assert not Session.objects.filter(pk=session.pk).exists()


def test_an_opt_out_added_or_removed_in_the_admin_acts_like_stop_and_start(coordinator_client):
    supporter = factories.supporter()
    phone = supporter.user.phone
    waiting = queue_sms(phone, "お知らせ", purpose="broadcast", key="admin-optout")
    response = coordinator_client.post(
        reverse("admin:notifications_optout_add"), {"phone": phone, "source": "admin"}
    )
    assert response.status_code == 302
    supporter.refresh_from_db()
    waiting.refresh_from_db()
    assert not supporter.sms_opt_in
    assert waiting.status == OutboundMessage.Status.CANCELLED

    opt_out_row = OptOut.objects.get(phone=phone)
    response = coordinator_client.post(
        reverse("admin:notifications_optout_delete", args=[opt_out_row.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    supporter.refresh_from_db()
    assert supporter.sms_opt_in
    assert not OptOut.objects.filter(phone=phone).exists()
