"""SMS backends, chosen by `settings.SMS_BACKEND` as Django chooses its email backends.

A backend hands one outbox message to a provider and, for crash recovery, can say whether the
provider already has it. Only this module talks to Twilio.
"""

import logging
import sys
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.urls import reverse
from django.utils.module_loading import import_string
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import NewConnectionError

from notifications.models import OutboundMessage

logger = logging.getLogger(__name__)

Status = OutboundMessage.Status


@dataclass(frozen=True)
class Accepted:
    """The provider took the message: its id, our status for it, and the parts it counted."""

    provider_id: str
    status: str
    segments: int | None = None


class SmsError(Exception):
    """The provider refused or could not be reached. `code` is the provider's error code."""

    def __init__(self, code: str, message: str = ""):
        super().__init__(f"{code}: {message}" if message else code)
        self.code = str(code)
        self.message = message


class TransientSmsError(SmsError):
    """Nothing was sent and trying again later may work (rate limit, provider down)."""


class PermanentSmsError(SmsError):
    """Nothing was sent and trying again will not help (bad number, recipient opted out)."""


class RecipientOptedOut(PermanentSmsError):
    """The recipient unsubscribed at the carrier or the provider: nothing will reach them."""


class UncertainSmsError(SmsError):
    """The request may have reached the provider (a read timeout, a dropped connection).

    Retrying blindly could send the text twice, so the message is treated like one whose worker
    died: it stays claimed, and after the lease the provider is asked whether it has it.
    """


class BaseSmsBackend:
    def send(self, message: OutboundMessage) -> Accepted:
        raise NotImplementedError

    def find(self, message: OutboundMessage, *, claimed_at: datetime) -> Accepted | None:
        """The provider's record of `message` sent since `claimed_at`, or None if there is none.

        Backends that cannot look messages up answer None, so the message is sent again.
        Raise TransientSmsError when the provider cannot be asked right now.
        """
        return None


class ConsoleBackend(BaseSmsBackend):
    """Prints each text: the default, so the app runs with no SMS account."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def send(self, message):
        self.stream.write(
            f"--- SMS to {message.to} ({message.get_purpose_display()}, "
            f"{message.segments} part(s)) ---\n{message.body}\n---\n"
        )
        self.stream.flush()
        return Accepted(provider_id=f"console-{uuid.uuid4().hex}", status=Status.SENT)


@dataclass(frozen=True)
class SentSms:
    to: str
    body: str
    provider_id: str
    message_id: int


# What the in-memory backend "sent", like django.core.mail.outbox. Tests clear it.
outbox: list[SentSms] = []
_outbox_lock = threading.Lock()


class InMemoryBackend(BaseSmsBackend):
    """Keeps texts in `notifications.backends.outbox`, for tests."""

    def send(self, message):
        with _outbox_lock:
            provider_id = f"mem-{uuid.uuid4().hex}"
            outbox.append(SentSms(message.to, message.body, provider_id, message.pk))
        return Accepted(provider_id=provider_id, status=Status.SENT)


TWILIO_API = "https://api.twilio.com"
# "Attempt to send to unsubscribed recipient": the number replied STOP to Twilio or its carrier.
TWILIO_UNSUBSCRIBED = 21610

# Twilio's message statuses as ours. Twilio's "sending" is at the carrier: for us it is queued.
TWILIO_STATUSES = {
    "accepted": Status.QUEUED,
    "scheduled": Status.QUEUED,
    "queued": Status.QUEUED,
    "sending": Status.QUEUED,
    "sent": Status.SENT,
    "delivered": Status.DELIVERED,
    "read": Status.DELIVERED,
    "undelivered": Status.UNDELIVERED,
    "failed": Status.FAILED,
}


class RebasedHttpClient(TwilioHttpClient):
    """The twilio client's HTTP client, sending to `base_url` instead of api.twilio.com."""

    def __init__(self, base_url: str = "", **kwargs):
        super().__init__(**kwargs)
        self.base_url = base_url

    def request(self, method, url, *args, **kwargs):
        if self.base_url and url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)


def classify_twilio_error(exc: TwilioRestException) -> SmsError:
    """429 and 5xx may work later; any other 4xx (21211 bad number, 21610 opted out…) never."""
    code = str(exc.code or exc.status)
    if exc.status == 429 or exc.status >= 500:
        return TransientSmsError(code, exc.msg)
    if exc.code == TWILIO_UNSUBSCRIBED:
        return RecipientOptedOut(code, exc.msg)
    return PermanentSmsError(code, exc.msg)


def classify_network_error(exc: requests.RequestException) -> SmsError:
    """A refused or timed-out connection sent nothing; anything later may have sent the text."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(exc, requests.ConnectTimeout) or isinstance(reason, NewConnectionError):
        return TransientSmsError("network", str(exc))
    return UncertainSmsError("network", str(exc))


class TwilioBackend(BaseSmsBackend):
    """Sends through Twilio's REST API with the official client."""

    # Seconds before giving up on an answer. The sending lease must stay well above it.
    timeout = 15
    # How far back the crash-recovery lookup trusts our clock against Twilio's.
    clock_skew = timedelta(minutes=1)
    lookup_limit = 20

    def __init__(self):
        http_client = RebasedHttpClient(settings.TWILIO_BASE_URL, timeout=self.timeout)
        self.client = Client(
            settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http_client
        )

    def send(self, message):
        options = {"to": message.to, "body": message.body}
        if settings.TWILIO_MESSAGING_SERVICE_SID:
            options["messaging_service_sid"] = settings.TWILIO_MESSAGING_SERVICE_SID
        else:
            options["from_"] = settings.TWILIO_FROM
        if callback := status_callback_url(message):
            options["status_callback"] = callback
        try:
            created = self.client.messages.create(**options)
        except TwilioRestException as exc:
            raise classify_twilio_error(exc) from exc
        except requests.RequestException as exc:
            raise classify_network_error(exc) from exc
        return Accepted(
            provider_id=created.sid,
            status=TWILIO_STATUSES.get(created.status, Status.QUEUED),
            segments=int(created.num_segments) if created.num_segments else None,
        )

    def find(self, message, *, claimed_at):
        # Twilio keeps no field of ours on a message, so match what we sent: same number and
        # text, created after the claim, and not already matched to another outbox row.
        filters = {"to": message.to, "limit": self.lookup_limit}
        if settings.TWILIO_FROM and not settings.TWILIO_MESSAGING_SERVICE_SID:
            filters["from_"] = settings.TWILIO_FROM
        try:
            candidates = self.client.messages.list(**filters)
        except (TwilioException, requests.RequestException) as exc:
            raise TransientSmsError("lookup", str(exc)) from exc
        since = claimed_at - self.clock_skew
        matching = [
            candidate
            for candidate in candidates
            if (candidate.body or "").strip() == message.body.strip()
            and candidate.date_created is not None
            and candidate.date_created >= since
        ]
        taken = set(
            OutboundMessage.objects.filter(provider_id__in=[c.sid for c in matching])
            .exclude(pk=message.pk)
            .values_list("provider_id", flat=True)
        )
        for candidate in sorted(matching, key=lambda c: c.date_created):
            if candidate.sid not in taken:
                return Accepted(
                    provider_id=candidate.sid,
                    status=TWILIO_STATUSES.get(candidate.status, Status.QUEUED),
                    segments=int(candidate.num_segments) if candidate.num_segments else None,
                )
        return None


def status_callback_url(message: OutboundMessage) -> str | None:
    """Where Twilio reports delivery: our public URL, naming the outbox row (callbacks can
    arrive before the worker has stored Twilio's id)."""
    if not settings.PUBLIC_URL:
        return None
    return f"{settings.PUBLIC_URL}{reverse('notifications:twilio_status')}?m={message.pk}"


def get_backend() -> BaseSmsBackend:
    return import_string(settings.SMS_BACKEND)()
