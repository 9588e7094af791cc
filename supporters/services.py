"""Supporters' business rules: one place for the pages, the API and the management commands."""

import hashlib
import logging
import math
import secrets
import time
import unicodedata
import uuid
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from config.errors import ServiceError
from config.fragments import kept_value
from notifications.models import OutboundMessage
from notifications.services import cancel_pending, queue_sms
from supporters.backends import user_with_roles
from supporters.models import ApiToken, Availability, Invitation, Supporter, User
from supporters.phones import normalize_phone
from supporters.signals import supporter_leaving
from supporters.tasks import email_invitation
from supporters.texts import render_sms

logger = logging.getLogger(__name__)

# Recording every request would write on every read; a minute is precise enough to spot
# a token still in use.
TOKEN_USE_RECORDED_EVERY = timedelta(minutes=1)
TOKEN_NAME_MAX_LENGTH = ApiToken._meta.get_field("name").max_length


class TokenError(ServiceError):
    pass


def create_api_token(user, name: str) -> tuple[ApiToken, str]:
    """Create a personal API token; the secret is returned once and only its hash is kept."""
    name = (name or "").strip()
    if not name or len(name) > TOKEN_NAME_MAX_LENGTH:
        raise TokenError(
            "invalid",
            gettext("Give the token a name of at most %(limit)d characters.")
            % {"limit": TOKEN_NAME_MAX_LENGTH},
        )
    key = ApiToken.generate_key()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        key_hash=ApiToken.hash_key(key),
        hint=key[: ApiToken._meta.get_field("hint").max_length],
    )
    return token, key


def revoke_api_token(user, token_id: int) -> ApiToken:
    """Revoke one of `user`'s own tokens; revoking twice keeps the first revocation time."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(pk=token_id, user=user).first()
        if token is None:
            raise TokenError("not_found", gettext("You have no API token with that number."))
        ApiToken.objects.filter(pk=token.pk).revoke()
        token.refresh_from_db(fields=["revoked_at"])
    return token


# Which tokens this process has noted the use of in the last TOKEN_USE_RECORDED_EVERY.
token_uses = LocMemCache("api-token-uses", {"OPTIONS": {"MAX_ENTRIES": 5000}})


def user_for_api_token(key: str):
    """The active user a live token belongs to, or None; notes the use at most once a minute.

    The token and its user are kept per public content version (`kept_value`,
    supporters/backends.py): a new or revoked token, a deactivated user, a role changed, each
    replaces the version, so the next request sees it. Noting the use writes only
    `last_used_at`, which keeps the version, once a minute per token and process."""
    key_hash = ApiToken.hash_key(key)
    found = kept_value("api-token", key_hash, partial(_live_token, key_hash))
    if found is None:
        return None
    pk, user_id, last_used_at = found
    user = user_with_roles(user_id)
    if user is None or not user.is_active:
        return None
    now = timezone.now()
    every = TOKEN_USE_RECORDED_EVERY
    if (last_used_at is None or now - last_used_at >= every) and token_uses.add(
        f"{pk}:{key_hash}", True, timeout=every.total_seconds()
    ):
        # A plain UPDATE: no row lock, and concurrent requests at worst write the same minute.
        ApiToken.objects.filter(pk=pk).update(last_used_at=now)
    return user


def _live_token(key_hash: str):
    return (
        ApiToken.objects.live()
        .filter(key_hash=key_hash)
        .values_list("pk", "user_id", "last_used_at")
        .first()
    )


# Withdrawing and pausing (issue 8): the status and its dates are set only here.


class SupporterError(ServiceError):
    """A change of a supporter's status the rules refuse. `code`: withdrawn, not_paused,
    before_joining."""

    MESSAGES = {
        "withdrawn": _("This supporter has withdrawn: their registration cannot change."),
        "not_paused": _("Only a paused supporter can be resumed."),
        "before_joining": _("A supporter cannot leave or pause before the day they joined."),
    }


def withdraw_supporter(supporter, *, by, on=None) -> Supporter:
    """A supporter leaves the programme on `on` (today): their coming shifts are called off."""
    return _stop(supporter, Supporter.Status.WITHDRAWN, by=by, on=on)


def pause_supporter(supporter, *, by, on=None) -> Supporter:
    """A supporter pauses from `on` (today) until resumed: their coming shifts are called off."""
    return _stop(supporter, Supporter.Status.PAUSED, by=by, on=on)


def _stop(supporter, status: str, *, by, on) -> Supporter:
    """Set a leaving status and its date, after the apps above have called off what the
    supporter was to do (`supporter_leaving`).

    supporters owns the status, and imports no app above it: sessions plugs its part in through
    the signal, which it receives in the same transaction. Receivers lock what they change
    first (sessions: the sessions, then this supporter: the one lock order), so the supporter's
    row is written last.
    """
    on = on or timezone.localdate()
    with transaction.atomic():
        current = Supporter.objects.get(pk=supporter.pk)
        if current.status == Supporter.Status.WITHDRAWN:
            raise SupporterError("withdrawn")
        if on < current.joined_on:
            raise SupporterError("before_joining")
        if current.status == status:
            return current
        supporter_leaving.send(sender=Supporter, supporter=current, by=by)
        supporter = Supporter.objects.select_for_update(of=("self",)).get(pk=supporter.pk)
        if supporter.status == Supporter.Status.WITHDRAWN:
            raise SupporterError("withdrawn")  # by someone else meanwhile
        supporter.status = status
        if status == Supporter.Status.WITHDRAWN:
            supporter.withdrawn_on = on
        else:
            supporter.paused_on = on
        supporter.save(update_fields=["status", "withdrawn_on", "paused_on", "updated_at"])
        logger.info("Supporter %s %s by user %s", supporter.pk, status, getattr(by, "pk", None))
    return supporter


def resume_supporter(supporter, *, by) -> Supporter:
    """A paused supporter is active again and can take shifts."""
    with transaction.atomic():
        supporter = Supporter.objects.select_for_update(of=("self",)).get(pk=supporter.pk)
        if supporter.status != Supporter.Status.PAUSED:
            raise SupporterError("not_paused")
        supporter.status = Supporter.Status.ACTIVE
        # Counted as active again from today: `active_on` reads a set pause date as a pause.
        supporter.paused_on = None
        supporter.save(update_fields=["status", "paused_on", "updated_at"])
        logger.info("Supporter %s resumed by user %s", supporter.pk, getattr(by, "pk", None))
    return supporter


# Usual availability (issue 10): optional, and used only to suggest supporters for group visits.


class AvailabilityError(ServiceError):
    """`code`: invalid, forbidden."""

    MESSAGES = {
        "invalid": _("Choose a weekday from Monday to Sunday, and morning or afternoon."),
        "forbidden": _("Only the supporter or a coordinator can change this."),
    }


WEEKDAY_NUMBERS = frozenset(number for number, _label in Availability.WEEKDAYS)


def set_availability(supporter, slots, *, by) -> list[Availability]:
    """Replace when `supporter` is usually free with `slots`, (weekday, part) pairs, all at once.

    `by`: the supporter themselves or a coordinator (None: the system). An empty `slots` says
    nothing about when they are free, as before they first answered.
    """
    if by is not None and by.pk != supporter.user_id and not by.is_coordinator:
        raise AvailabilityError("forbidden")
    wanted = set()
    for weekday, part in slots:
        if type(weekday) is not int or weekday not in WEEKDAY_NUMBERS:
            raise AvailabilityError("invalid")
        if part not in Availability.Part.values:
            raise AvailabilityError("invalid")
        wanted.add((weekday, part))
    with transaction.atomic():
        # Two saves at once (the page in two tabs) end with one of them, never a mix.
        Supporter.objects.select_for_update(of=("self",)).get(pk=supporter.pk)
        Availability.objects.filter(supporter=supporter).delete()
        saved = Availability.objects.bulk_create(
            Availability(supporter_id=supporter.pk, weekday=weekday, part=part)
            for weekday, part in sorted(wanted)
        )
    logger.info("Supporter %s availability set by user %s", supporter.pk, getattr(by, "pk", None))
    return saved


# Calendar feed (issue 5): the supporter's secret feed URL is the only key to their shifts.


def calendar_feed_token(supporter) -> str:
    """The secret of `supporter`'s calendar-feed URL, made on first use."""
    if not supporter.calendar_token:
        with transaction.atomic():
            # Two first visits at once (the page and the app) must end up with the same URL.
            locked = Supporter.objects.select_for_update().get(pk=supporter.pk)
            if not locked.calendar_token:
                locked.calendar_token = secrets.token_urlsafe(32)
                locked.save(update_fields=["calendar_token", "updated_at"])
            supporter.calendar_token = locked.calendar_token
    return supporter.calendar_token


def regenerate_calendar_token(supporter) -> str:
    """Give `supporter` a new feed URL; the old one stops working at once."""
    supporter.calendar_token = secrets.token_urlsafe(32)
    supporter.save(update_fields=["calendar_token", "updated_at"])
    return supporter.calendar_token


# Sign-in codes and invitations (issue 5). Supporters join only through a coordinator's
# invitation: a link with a secret (only its hash kept), sent by SMS or else by email.


class InvitationError(ServiceError):
    pass


class CodeError(ServiceError):
    pass


def generate_code() -> str:
    """Six random digits, the format allauth's codes have (settings.ACCOUNT_LOGIN_BY_CODE_...)."""
    return f"{secrets.randbelow(10**6):06d}"


def send_code_by_sms(phone: str, code: str, *, language: str, related=None):
    """Queue a one-time code: it goes out at once, at night too, even to a number that opted out."""
    body = render_sms("sign_in_code", language, code=code, minutes=settings.SIGN_IN_CODE_MINUTES)
    return queue_sms(
        phone,
        body,
        purpose=OutboundMessage.Purpose.SIGN_IN_CODE,
        key=f"sign-in-code:{uuid.uuid4().hex}",  # one message per code, never merged
        related=related,
        language=language,
    )


def send_phone_code(phone: str, *, language: str, related=None) -> dict:
    """Text a fresh code to `phone`; returns what to keep (server-side) to check the answer."""
    code = generate_code()
    send_code_by_sms(phone, code, language=language, related=related)
    return {
        "phone": phone,
        "code_hash": hashlib.sha256(code.encode()).hexdigest(),
        "sent_at": time.time(),
        "failed_attempts": 0,
    }


def check_phone_code(state: dict, code: str) -> None:
    """Accept `code` for `state` (from send_phone_code), or raise CodeError.

    `incorrect` counts the try in `state`; `expired` and `too_many_attempts` end it: a new code
    has to be asked for.
    """
    if time.time() - state["sent_at"] > settings.SIGN_IN_CODE_MINUTES * 60:
        raise CodeError("expired", gettext("The code has expired. Ask for a new one."))
    typed = unicodedata.normalize("NFKC", code or "").replace(" ", "").replace("-", "")
    if secrets.compare_digest(hashlib.sha256(typed.encode()).hexdigest(), state["code_hash"]):
        return
    state["failed_attempts"] += 1
    if state["failed_attempts"] >= settings.ACCOUNT_PHONE_VERIFICATION_MAX_ATTEMPTS:
        raise CodeError(
            "too_many_attempts",
            gettext("That was the wrong code too many times. Ask for a new one."),
        )
    raise CodeError("incorrect", gettext("That is not the code we sent. Check it and try again."))


def _require_coordinator(user) -> None:
    if not getattr(user, "is_coordinator", False):
        raise InvitationError("forbidden", gettext("Only coordinators can invite supporters."))


def invite_supporter(
    *,
    by,
    family_name: str,
    given_name: str,
    phone: str = "",
    email: str = "",
    training_level: int = Supporter.Level.INTRODUCTION,
    language: str = "ja",
    base_url: str,
) -> tuple[Invitation, str]:
    """Invite someone to join as a supporter: the link goes by SMS, or by email without a phone.

    Returns the invitation and its link; only the hash of the link's secret is kept. A new
    invitation replaces one still open for the same number or address.
    """
    _require_coordinator(by)
    family_name, given_name = (family_name or "").strip(), (given_name or "").strip()
    phone, email = (phone or "").strip(), (email or "").strip()
    if not family_name or not given_name:
        raise InvitationError("invalid", gettext("Give the person's family name and given name."))
    if phone:
        try:
            phone = normalize_phone(phone)
        except ValidationError as error:
            raise InvitationError("invalid", error.messages[0]) from error
    if email:
        try:
            validate_email(email)
        except ValidationError as error:
            raise InvitationError("invalid", error.messages[0]) from error
    if not phone and not email:
        raise InvitationError(
            "invalid", gettext("Give a mobile phone number or an email address to invite.")
        )
    if training_level not in Supporter.Level.values:
        raise InvitationError("invalid", gettext("Choose a training level from 1 to 5."))
    if language not in dict(settings.LANGUAGES):
        raise InvitationError("invalid", gettext("Choose one of the languages offered."))
    if phone and User.objects.filter(phone=phone).exists():
        raise InvitationError(
            "phone_taken", gettext("Someone already has an account with this phone number.")
        )
    if email and User.objects.filter(email__iexact=email).exists():
        raise InvitationError(
            "email_taken", gettext("Someone already has an account with this email address.")
        )
    key = Invitation.generate_key()
    with transaction.atomic():
        same_person = Q(phone=phone) if phone else Q(email__iexact=email)
        revoke_invitations(Invitation.objects.filter(same_person))
        invitation = Invitation.objects.create(
            family_name=family_name,
            given_name=given_name,
            phone=phone,
            email=email,
            training_level=training_level,
            language=language,
            key_hash=Invitation.hash_key(key),
            invited_by=by,
            expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
        )
        link = base_url + reverse("supporters:join", args=[key])
        texted = None
        if phone:
            body = render_sms(
                "invitation",
                language,
                name=str(invitation),
                deadline=invitation.expires_at,
                link=link,
            )
            texted = queue_sms(
                phone,
                body,
                purpose=OutboundMessage.Purpose.INVITATION,
                key=f"invitation:{invitation.pk}",
                related=invitation,
                language=language,
            )
            if texted is None and not email:
                raise InvitationError(
                    "opted_out",
                    gettext(
                        "This number asked us to send no more texts. "
                        "Give an email address to send the invitation to."
                    ),
                )
        if email and texted is None:
            # Queued once the invitation is committed, so the task finds it; a mail server
            # that fails is recorded on the invitation, never the coordinator's request.
            transaction.on_commit(partial(email_invitation.enqueue, invitation.pk, link))
    return invitation, link


def revoke_invitations(invitations) -> int:
    """Revoke the open ones among `invitations` and call off their texts not yet sent."""
    pks = list(invitations.open().values_list("pk", flat=True))
    if not pks:
        return 0
    # `open()` again in the UPDATE: an invitation accepted meanwhile stays accepted.
    count = Invitation.objects.filter(pk__in=pks).open().update(revoked_at=timezone.now())
    cancel_pending(Invitation.objects.filter(pk__in=pks))
    return count


def revoke_invitation(invitation_id: int, *, by) -> Invitation:
    """Withdraw one invitation so its link stops working; revoking twice changes nothing."""
    _require_coordinator(by)
    invitation = Invitation.objects.filter(pk=invitation_id).first()
    if invitation is None:
        raise InvitationError("not_found", gettext("There is no invitation with that number."))
    if invitation.accepted_at:
        raise InvitationError(
            "accepted", gettext("This invitation has been accepted already: it cannot be revoked.")
        )
    revoke_invitations(Invitation.objects.filter(pk=invitation.pk))
    invitation.refresh_from_db()
    return invitation


def _refuse_unless_open(invitation: Invitation) -> None:
    state = invitation.state
    if state == Invitation.State.ACCEPTED:
        raise InvitationError(
            "used",
            gettext("This invitation has been used already. Sign in with your phone number."),
        )
    if state == Invitation.State.REVOKED:
        raise InvitationError(
            "revoked",
            gettext("This invitation has been withdrawn. Please contact the support office."),
        )
    if state == Invitation.State.EXPIRED:
        raise InvitationError(
            "expired",
            gettext("This invitation has expired. Please ask the support office for a new one."),
        )


def invitation_for_key(key: str) -> Invitation:
    """The open invitation whose link holds `key`, or InvitationError saying why not."""
    invitation = Invitation.objects.filter(key_hash=Invitation.hash_key(key or "")).first()
    if invitation is None:
        raise InvitationError(
            "not_found",
            gettext("This invitation link is not valid. Check that you opened the whole link."),
        )
    _refuse_unless_open(invitation)
    return invitation


def _unique_username() -> str:
    while True:
        username = f"sapo-{secrets.token_hex(4)}"
        if not User.objects.filter(username=username).exists():
            return username


def accept_invitation(
    invitation: Invitation, *, family_name: str, given_name: str, phone: str = ""
) -> User:
    """Make the invitee's account and supporter profile, and mark the invitation used.

    `phone` must have been proven with a code (the join page does it); without one the
    account signs in by the invitation's email address, which the link was sent to.
    """
    family_name, given_name = (family_name or "").strip(), (given_name or "").strip()
    if not family_name or not given_name:
        raise InvitationError("invalid", gettext("Give your family name and given name."))
    try:
        with transaction.atomic():
            # Locked: the same link opened twice at once makes one account.
            invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
            _refuse_unless_open(invitation)
            if not phone and not invitation.email:
                raise InvitationError("invalid", gettext("Give your mobile phone number."))
            if phone and User.objects.filter(phone=phone).exists():
                raise InvitationError(
                    "phone_taken",
                    gettext("An account with this phone number exists already. Sign in with it."),
                )
            if invitation.email and User.objects.filter(email__iexact=invitation.email).exists():
                raise InvitationError(
                    "email_taken",
                    gettext("An account with this email address exists already. Sign in with it."),
                )
            user = User(
                username=_unique_username(),
                first_name=given_name,
                last_name=family_name,
                email=invitation.email,
                phone=phone,
                phone_verified=bool(phone),
                language=invitation.language,
            )
            user.set_unusable_password()  # they sign in with codes; a password can be set later
            user.save()
            supporter = Supporter.objects.create(
                user=user,
                family_name=family_name,
                given_name=given_name,
                training_level=invitation.training_level,
                joined_on=timezone.localdate(),
            )
            invitation.accepted_at = timezone.now()
            invitation.supporter = supporter
            invitation.save(update_fields=["accepted_at", "supporter"])
    except IntegrityError as error:
        # Another account took the number or address between the check and the insert.
        raise InvitationError(
            "phone_taken",
            gettext("An account with this phone number exists already. Sign in with it."),
        ) from error
    return user


# Sign-in code locks (issue 8): allauth counts the codes each number was sent in the shared
# cache (settings.ACCOUNT_RATE_LIMITS, per "key" = the number). At the limit the number gets no
# code until the oldest counted one is old enough; people are told how long, and a coordinator
# may lift the lock for someone who is stuck (the supporter's admin page).
CODE_RATE_LIMIT_ACTIONS = ("request_login_code", "join_code")


def _code_limits(action: str, phone: str):
    """(rate, cache key) of each per-number limit on `action`: allauth's own keys."""
    # allauth.core.internal: the keys are allauth's; reading them here keeps one count.
    from allauth.core.internal.ratelimit import get_cache_key, get_rates

    for rate in get_rates(app="allauth.account", action=action):
        if rate.per == "key":
            key = get_cache_key(None, app="allauth.account", action=action, rate=rate, key=phone)
            yield rate, key


def sign_in_code_wait_minutes(phone: str, action: str = "request_login_code") -> int:
    """Whole minutes, rounded up, until `phone` may be sent a code again; 0 if it may now."""
    now = time.time()
    wait = 0.0
    for rate, key in _code_limits(action, phone.lower()):
        counted = [sent for sent in cache.get(key, []) if sent > now - rate.duration]
        if len(counted) >= rate.amount:  # newest first: this one's expiry frees a place
            wait = max(wait, counted[rate.amount - 1] + rate.duration - now)
    return math.ceil(wait / 60)


def lift_sign_in_lock(user, *, by) -> bool:
    """Let `user`'s number be sent codes again at once; False if it was not locked."""
    if not getattr(by, "is_coordinator", False):
        raise CodeError("forbidden", gettext("Only coordinators can lift a sign-in lock."))
    if not user.phone:
        return False
    locked = sign_in_code_wait_minutes(user.phone) > 0
    for action in CODE_RATE_LIMIT_ACTIONS:
        for _rate, key in _code_limits(action, user.phone.lower()):
            cache.delete(key)
    logger.info("Sign-in lock of user %s lifted by user %s", user.pk, by.pk)
    return locked
