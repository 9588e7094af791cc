"""A supporter signs in with their mobile number and a code sent by SMS, or with a password."""

import re
from datetime import timedelta

import pytest
import time_machine
from allauth.core import ratelimit
from django.conf import settings
from django.contrib.admin import helpers
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from config.demo import DEMO_SUPPORTER_PHONE, ensure_demo_accounts
from notifications.models import OptOut, OutboundMessage
from notifications.texts import render_sms
from supporters.forms import RATE_LIMITED_MESSAGE
from supporters.models import User
from supporters.services import CodeError, lift_sign_in_lock, sign_in_code_wait_minutes
from tests import factories
from tests.pages import parse, unlabelled_fields

PHONE = "+819012345678"
TYPED = "090-1234-5678"  # as residents write it


def supporter_with_phone(phone=PHONE, language="ja"):
    account = factories.user(phone=phone, phone_verified=True, language=language)
    return factories.supporter(user=account).user


@pytest.fixture
def member(db):
    return supporter_with_phone()


def ask_for_code(client, phone=TYPED, **extra):
    return client.post(reverse("account_request_login_code"), {"phone": phone}, **extra)


def ask_again(client, phone=TYPED, **extra):
    """ "No message? Ask for a new code" on the code page: end the pending sign-in, ask again."""
    start_over = client.post(
        reverse("account_logout"), {"next": reverse("account_request_login_code")}, **extra
    )
    assert start_over["Location"] == reverse("account_request_login_code")
    return ask_for_code(client, phone, **extra)


def codes_sent(phone=PHONE):
    return OutboundMessage.objects.filter(to=phone, purpose=OutboundMessage.Purpose.SIGN_IN_CODE)


def texted_code(phone=PHONE) -> str:
    return re.search(r"(?<!\d)\d{6}(?!\d)", codes_sent(phone).latest("created_at").body)[0]


def rate_limited_message() -> str:
    with translation.override("ja"):  # the pages' language when the browser asks for none
        return str(RATE_LIMITED_MESSAGE)


def enter_code(client, code):
    return client.post(reverse("account_confirm_login_code"), {"code": code})


def three_wrong_codes(client):
    """Type the last texted code wrong three times; returns the page the third one ends on."""
    wrong = f"{(int(texted_code()) + 1) % 1_000_000:06d}"
    for _ in range(2):
        enter_code(client, wrong)
    return client.post(
        reverse("account_confirm_login_code"),
        {"code": wrong},
        headers={"Accept-Language": "en"},
        follow=True,
    )


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def test_asking_for_a_code_texts_one_six_digit_code_in_the_persons_language(client, member):
    response = ask_for_code(client)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_confirm_login_code")
    (message,) = codes_sent()
    code = re.fullmatch(r"確認コードは(\d{6})です。有効期限は10分です。", message.body)[1]
    assert message.body == render_sms("sign_in_code", "ja", code=code, minutes=10)
    assert message.language == "ja"
    assert message.status == OutboundMessage.Status.PENDING
    assert message.related_object == member


def test_an_english_speaking_supporter_gets_the_code_in_english(client, db):
    supporter_with_phone(language="en")

    ask_for_code(client, "+81 90 1234 5678")

    body = codes_sent().get().body
    assert re.fullmatch(r"Your sign-in code is \d{6}\. It expires in 10 minutes\.", body)


def test_each_code_is_its_own_message(client, member):
    ask_for_code(client)
    ask_again(client)

    keys = set(codes_sent().values_list("idempotency_key", flat=True))
    assert len(keys) == 2


def test_the_right_code_signs_the_supporter_in_and_lands_on_the_home_page(client, member):
    ask_for_code(client)

    response = enter_code(client, texted_code())

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert int(signed_in_user_id(client)) == member.pk
    home = client.get(reverse("home"))
    assert home.context["user"] == member
    # "Signed in as 前橋 花子…", by name rather than by an account's username.
    (greeting,) = [str(message) for message in home.context["messages"]]
    assert str(member.supporter) in greeting
    assert member.username not in greeting


def test_a_code_typed_with_full_width_digits_or_spaces_is_accepted(client, member):
    ask_for_code(client)
    code = texted_code()
    full_width = "".join(chr(ord(digit) + 0xFEE0) for digit in code)

    enter_code(client, f"{full_width[:3]} {full_width[3:]}")

    assert int(signed_in_user_id(client)) == member.pk


def test_a_wrong_code_is_refused_and_three_wrong_codes_end_the_attempt(client, member):
    ask_for_code(client)
    code = texted_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    first = enter_code(client, wrong)
    assert first.status_code == 200
    assert first.context["form"].errors["code"]
    assert signed_in_user_id(client) is None

    enter_code(client, wrong)
    third = enter_code(client, wrong)
    assert third.status_code == 302
    assert third["Location"] == reverse("account_request_login_code")

    # The attempt is over: even the right code no longer signs in.
    enter_code(client, code)
    assert signed_in_user_id(client) is None


def test_an_expired_code_is_refused(client, member):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        ask_for_code(client)
        code = texted_code()
        traveller.shift(timedelta(minutes=settings.SIGN_IN_CODE_MINUTES, seconds=1))

        response = enter_code(client, code)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_request_login_code")
    assert signed_in_user_id(client) is None


def test_a_code_still_works_just_before_it_expires(client, member):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        ask_for_code(client)
        traveller.shift(timedelta(minutes=settings.SIGN_IN_CODE_MINUTES - 1))

        enter_code(client, texted_code())

    assert int(signed_in_user_id(client)) == member.pk


def test_a_fourth_code_for_one_number_within_15_minutes_is_refused_plainly(client, member):
    for _ in range(3):
        assert ask_again(client).status_code == 302

    refused = ask_again(client, headers={"Accept-Language": "en"})

    assert refused.status_code == 200
    waiting = (
        "Too many codes have been sent to this number. Please wait 15 more minutes, "
        "then ask for a new code."
    )
    assert refused.context["form"].errors["phone"] == [waiting]
    assert waiting in refused.content.decode()
    assert codes_sent().count() == 3


def test_the_number_can_ask_again_after_15_minutes(client, member):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(3):
            ask_again(client)
        traveller.shift(timedelta(minutes=15, seconds=1))

        assert ask_again(client).status_code == 302

    assert codes_sent().count() == 4


def test_too_many_code_requests_from_one_address_are_refused(client, member):
    address = {"REMOTE_ADDR": "198.51.100.7"}
    for n in range(30):  # a whole class on one hall's Wi-Fi, most with unknown numbers
        assert ask_again(client, f"+8180{10_000_000 + n}", **address).status_code == 302

    refused = ask_again(client, **address)

    assert refused.status_code == 200
    assert refused.context["form"].errors["phone"] == [rate_limited_message()]
    assert not codes_sent().exists()
    # Someone elsewhere is not held up by it.
    assert ask_again(client, REMOTE_ADDR="203.0.113.9").status_code == 302
    assert codes_sent().count() == 1


def test_an_unknown_number_gets_no_text_and_no_account_but_the_same_page(client, db):
    users_before = User.objects.count()

    response = ask_for_code(client, "080-9999-0000")

    # The same answer as for a known number: nobody learns which numbers have accounts.
    assert response.status_code == 302
    assert response["Location"] == reverse("account_confirm_login_code")
    assert not OutboundMessage.objects.exists()
    assert User.objects.count() == users_before
    page = client.get(response["Location"])
    assert "080-9999-0000" in page.content.decode()
    assert enter_code(client, "000000").status_code == 200
    assert signed_in_user_id(client) is None
    assert User.objects.count() == users_before


def test_an_inactive_account_gets_no_code(client, member):
    member.is_active = False
    member.save()

    ask_for_code(client)

    assert not codes_sent().exists()


def test_a_number_that_opted_out_of_texts_still_gets_the_code_it_asked_for(client, member):
    OptOut.objects.create(phone=PHONE)

    ask_for_code(client)

    assert codes_sent().count() == 1


def test_a_number_that_is_not_a_phone_number_is_refused_with_a_message(client, db):
    response = ask_for_code(client, "12")

    assert response.status_code == 200
    assert response.context["form"].errors["phone"]
    assert not OutboundMessage.objects.exists()


def test_an_empty_form_asks_for_the_number(client, db):
    response = client.post(reverse("account_request_login_code"), {})

    assert response.status_code == 200
    assert response.context["form"].errors["phone"]


def test_the_code_can_be_asked_for_by_email_too(client, db, mailoutbox):
    user = factories.user(email="hanako@example.jp")

    client.post(reverse("account_request_login_code"), {"email": "hanako@example.jp"})
    code = re.search(r"\b\d{6}\b", mailoutbox[0].body)[0]
    enter_code(client, code)

    assert int(signed_in_user_id(client)) == user.pk


def test_email_and_password_sign_in(client, db):
    user = factories.user(email="hanako@example.jp", password="kiri-no-mori-77")

    response = client.post(
        reverse("account_login"), {"login": "hanako@example.jp", "password": "kiri-no-mori-77"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert int(signed_in_user_id(client)) == user.pk


def test_a_phone_number_as_written_and_a_password_sign_in(client, member):
    member.set_password("kiri-no-mori-77")
    member.save()

    client.post(reverse("account_login"), {"login": TYPED, "password": "kiri-no-mori-77"})

    assert int(signed_in_user_id(client)) == member.pk


@pytest.mark.parametrize("username", ["coordinator", "supporter", "admin"])
def test_the_demo_accounts_sign_in_with_their_username(client, db, settings, username):
    settings.DEBUG = True
    supporter_with_phone(DEMO_SUPPORTER_PHONE)
    ensure_demo_accounts()

    response = client.post(
        reverse("account_login"), {"login": username, "password": settings.DEMO_PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert User.objects.get(pk=signed_in_user_id(client)).username == username


def test_a_number_typed_in_by_a_coordinator_is_verified_by_its_first_code(client, db):
    user = factories.user(phone=PHONE, password="kiri-no-mori-77")
    assert not user.phone_verified

    # A password sign-in is not held up to check the number…
    client.post(reverse("account_login"), {"login": user.username, "password": "kiri-no-mori-77"})
    assert int(signed_in_user_id(client)) == user.pk
    client.post(reverse("account_logout"))
    # …the first code that reaches it proves it.
    ask_for_code(client)
    enter_code(client, texted_code())

    user.refresh_from_db()
    assert user.phone_verified


def test_a_signed_in_supporter_changes_their_number_with_a_code_sent_to_the_new_one(client, member):
    client.force_login(member)
    form_page = client.get(reverse("account_change_phone"))
    assert TYPED in form_page.content.decode()
    assert unlabelled_fields(parse(form_page)) == []

    asked = client.post(reverse("account_change_phone"), {"phone": "080-2222-3333"})
    assert asked["Location"] == reverse("account_verify_phone")
    page = client.get(asked["Location"])
    assert 'autocomplete="one-time-code"' in page.content.decode()
    assert 'class="site-header"' in page.content.decode()
    member.refresh_from_db()
    assert member.phone == PHONE  # unchanged until the new number is proven
    client.post(reverse("account_verify_phone"), {"code": texted_code("+818022223333")})

    member.refresh_from_db()
    assert (member.phone, member.phone_verified) == ("+818022223333", True)


def test_the_sign_in_page_asks_for_the_phone_first_with_a_phone_keyboard(client, db):
    response = client.get(reverse("account_login"))
    page = parse(response)

    fields = {attrs.get("name"): attrs for _tag, attrs in page.fields}
    assert fields["phone"]["type"] == "tel"
    assert fields["phone"]["autocomplete"] == "tel"
    names = list(fields)
    assert names.index("phone") < names.index("login")  # the phone comes first
    assert {"login", "password"} <= set(fields)
    assert unlabelled_fields(page) == []
    assert reverse("account_signup") not in response.content.decode()


def test_the_code_page_offers_the_number_pad_and_the_code_from_the_text(client, member):
    ask_for_code(client)

    response = client.get(reverse("account_confirm_login_code"))
    page = parse(response)

    (code_field,) = [attrs for _tag, attrs in page.fields if attrs.get("name") == "code"]
    assert code_field["inputmode"] == "numeric"
    assert code_field["autocomplete"] == "one-time-code"
    assert unlabelled_fields(page) == []
    # The number as the person wrote it, not E.164.
    assert TYPED in response.content.decode()
    # A way back to ask again: signing out of the pending sign-in, then to "send me a code".
    logout = [attrs for tag, attrs in page.tags if tag == "form"][-1]
    assert logout["action"] == reverse("account_logout")
    assert f'value="{reverse("account_request_login_code")}"' in response.content.decode()
    assert 'class="site-header"' in response.content.decode()


def test_the_sign_in_pages_speak_japanese_by_default(client, member):
    login = client.get(reverse("account_login")).content.decode()
    ask_for_code(client)
    confirm = client.get(reverse("account_confirm_login_code")).content.decode()

    assert 'lang="ja"' in login
    assert "ログイン" in login  # allauth's own catalogue
    assert 'lang="ja"' in confirm


def test_rate_limits_are_counted_in_the_database_cache_every_process_shares(client, member):
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    table = settings.CACHES["default"]["LOCATION"]
    # Test databases get the table when they are created, like `createcachetable`.
    assert table in connection.introspection.table_names()

    ask_for_code(client)

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT cache_key FROM {connection.ops.quote_name(table)}")
        keys = [row[0] for row in cursor.fetchall()]
    assert any("request_login_code" in key for key in keys)
    cache.clear()
    for _ in range(3):
        assert ask_again(client).status_code == 302


def test_signing_in_by_code_stores_nothing_secret_in_a_cookie(client, member):
    ask_for_code(client)

    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    assert texted_code() not in "".join(morsel.value for morsel in client.cookies.values())


def test_signing_in_by_code_returns_to_the_page_that_asked_for_it(client, member):
    wanted = reverse("supporters:tokens")
    login = client.get(client.get(wanted)["Location"])
    code_request = reverse("account_request_login_code")
    (action,) = [
        attrs["action"]
        for tag, attrs in parse(login).tags
        if tag == "form" and attrs.get("action", "").startswith(code_request)
    ]
    assert action == f"{code_request}?next={wanted.replace('/', '%2F')}"

    asked = client.post(action, {"phone": TYPED})
    response = client.post(asked["Location"], {"code": texted_code()})

    assert response["Location"] == wanted


# How long to wait, and a coordinator lifting the lock (issue 8)


def test_the_wait_counts_down_from_the_oldest_code_of_the_15_minutes(client, member):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(3):
            ask_again(client)
            traveller.shift(timedelta(minutes=4))

        refused = ask_again(client, headers={"Accept-Language": "en"})

    assert "Please wait 3 more minutes" in refused.content.decode()


def test_three_wrong_codes_say_to_ask_for_a_new_one(client, member):
    ask_for_code(client)

    third = three_wrong_codes(client)

    page = third.content.decode()
    assert "The code was typed wrong 3 times. Ask for a new code." in page
    assert "Too many failed login attempts" not in page


def test_three_wrong_codes_at_the_limit_say_how_long_to_wait(client, member):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(3):
            ask_again(client)
            traveller.shift(timedelta(minutes=1))

        third = three_wrong_codes(client)

    # The first of the three codes was sent 3 minutes ago: 12 of its 15 minutes are left.
    assert "Please wait 12 more minutes, then ask for a new code." in third.content.decode()


def test_a_password_sign_in_rate_limit_keeps_allauths_own_message(client, member, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "1/m/ip"}
    for _ in range(2):
        response = client.post(
            reverse("account_login"),
            {"login": member.username, "password": "wrong"},
            headers={"Accept-Language": "en"},
        )

    page = response.content.decode()
    assert "Too many failed login attempts. Try again later." in page
    assert "The code was typed wrong" not in page


def test_a_coordinator_sees_and_lifts_a_sign_in_lock_on_the_supporters_page(client, member):
    for _ in range(3):
        ask_again(client)
    assert ask_again(client).status_code == 200  # locked
    coordinator = factories.coordinator()
    staff = Client(headers={"Accept-Language": "en"})
    staff.force_login(coordinator)
    page_url = reverse("admin:supporters_supporter_change", args=[member.supporter.pk])

    page = staff.get(page_url).content.decode()
    assert "Locked: too many codes sent. Free again in 15 minutes" in page

    lifted = staff.post(
        page_url,
        {
            "CHANGE_FORM-action": "lift_sign_in_lock",
            helpers.ACTION_CHECKBOX_NAME: [member.supporter.pk],
        },
        follow=True,
    )

    assert "1 sign-in lock lifted: a code can be sent again." in lifted.content.decode()
    assert "Not locked" in staff.get(page_url).content.decode()
    assert ask_again(client).status_code == 302
    assert codes_sent().count() == 4


def test_only_a_coordinator_lifts_a_sign_in_lock(member):
    with pytest.raises(CodeError) as error:
        lift_sign_in_lock(member, by=member)

    assert error.value.code == "forbidden"


def test_lifting_also_frees_the_number_for_an_invitations_code(rf, member):
    request = rf.post("/")
    for _ in range(3):
        assert ratelimit.consume(request, action="join_code", key=member.phone)
    assert sign_in_code_wait_minutes(member.phone, "join_code") == 15

    assert lift_sign_in_lock(member, by=factories.coordinator()) is False  # sign-in was free

    assert sign_in_code_wait_minutes(member.phone, "join_code") == 0
