"""A local stand-in for Twilio's REST API, for the real `twilio` client to talk to in tests.

It answers `POST /2010-04-01/Accounts/{sid}/Messages.json` and the `GET` list of the same URL
with Twilio-shaped JSON, records every request, and can be told to fail the next sends with
429, 500 or a Twilio error code such as 21610, to fail the next lookups (a Twilio outage, a key
without permission to list messages), or to answer slowly.
"""

import base64
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

ERRORS = {
    429: (20429, "Too Many Requests"),
    403: (20403, "Forbidden"),
    500: (20500, "Internal Server Error"),
    21211: (21211, "The 'To' number is not a valid phone number."),
    21610: (21610, "Attempt to send to unsubscribed recipient"),
    21614: (21614, "'To' number is not a valid mobile number"),
}


@dataclass
class Failure:
    status: int
    code: int
    message: str


@dataclass
class FakeTwilio:
    account_sid: str = "AC" + "f" * 32
    auth_token: str = "fake-twilio-auth-token"
    delay: float = 0.0  # seconds to wait, after recording a message, before answering
    messages: list[dict] = field(default_factory=list)  # as Twilio stores them, oldest first
    requests: list[tuple[str, str, dict]] = field(default_factory=list)  # method, path, form
    failures: list[Failure] = field(default_factory=list)
    lookup_failures: list[Failure] = field(default_factory=list)

    def __post_init__(self):
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def fail_next(self, error: int, times: int = 1) -> None:
        """Make the next `times` sends fail: 429 or 500 (HTTP status) or a Twilio error code."""
        code, message = ERRORS[error]
        status = error if error < 1000 else 400
        with self.lock:
            self.failures += [Failure(status, code, message)] * times

    def fail_lookups(self, error: int, times: int = 1) -> None:
        """Make the next `times` lookups (the GET list of messages) fail: 403, 429 or 500."""
        code, message = ERRORS[error]
        with self.lock:
            self.lookup_failures += [Failure(error, code, message)] * times

    def lookups(self) -> int:
        with self.lock:
            return sum(1 for method, _, _ in self.requests if method == "GET")

    def sent_bodies(self) -> list[str]:
        with self.lock:
            return [message["body"] for message in self.messages]

    def posts(self) -> list[dict]:
        with self.lock:
            return [form for method, _, form in self.requests if method == "POST"]

    def set_status(self, sid: str, status: str) -> None:
        with self.lock:
            for message in self.messages:
                if message["sid"] == sid:
                    message["status"] = status


def _rfc2822(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC)).replace("-0000", "+0000")


def _handler_for(fake: FakeTwilio):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _authorised(self) -> bool:
            expected = base64.b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
            return self.headers.get("Authorization") == f"Basic {expected}"

        def _answer(self, status: int, payload: dict) -> None:
            body = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout) or was killed

        def _error(self, status: int, code: int, message: str) -> None:
            self._answer(
                status,
                {
                    "code": code,
                    "message": message,
                    "more_info": f"https://www.twilio.com/docs/errors/{code}",
                    "status": status,
                },
            )

        def _messages_path(self) -> str:
            return f"/2010-04-01/Accounts/{fake.account_sid}/Messages.json"

        def do_POST(self):
            path = urlparse(self.path).path
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            with fake.lock:
                fake.requests.append(("POST", path, form))
            if not self._authorised():
                return self._error(401, 20003, "Authenticate")
            if path != self._messages_path():
                return self._error(404, 20404, "The requested resource was not found")
            with fake.lock:
                failure = fake.failures.pop(0) if fake.failures else None
            if failure:
                return self._error(failure.status, failure.code, failure.message)
            now = datetime.now(UTC)
            body = form.get("Body", "")
            message = {
                "account_sid": fake.account_sid,
                "api_version": "2010-04-01",
                "body": body,
                "date_created": _rfc2822(now),
                "date_sent": None,
                "date_updated": _rfc2822(now),
                "direction": "outbound-api",
                "error_code": None,
                "error_message": None,
                "from": form.get("From"),
                "messaging_service_sid": form.get("MessagingServiceSid"),
                "num_media": "0",
                "num_segments": str(_segments(body)),
                "price": None,
                "price_unit": "USD",
                "sid": "SM" + uuid.uuid4().hex,
                "status": "accepted" if form.get("MessagingServiceSid") else "queued",
                "subresource_uris": {},
                "to": form.get("To"),
                "uri": self._messages_path(),
            }
            with fake.lock:
                fake.messages.append(message)
            if fake.delay:
                time.sleep(fake.delay)
            self._answer(201, message)

        def do_GET(self):
            url = urlparse(self.path)
            with fake.lock:
                fake.requests.append(("GET", url.path, {}))
            if not self._authorised():
                return self._error(401, 20003, "Authenticate")
            if url.path != self._messages_path():
                return self._error(404, 20404, "The requested resource was not found")
            with fake.lock:
                failure = fake.lookup_failures.pop(0) if fake.lookup_failures else None
            if failure:
                return self._error(failure.status, failure.code, failure.message)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            page_size = int(query.get("PageSize", 50))
            with fake.lock:
                found = [
                    message
                    for message in reversed(fake.messages)  # newest first, as Twilio lists
                    if message["to"] == query.get("To", message["to"])
                    and message["from"] == query.get("From", message["from"])
                ][:page_size]
            self._answer(
                200,
                {
                    "messages": found,
                    "end": max(len(found) - 1, 0),
                    "first_page_uri": url.path,
                    "next_page_uri": None,
                    "page": 0,
                    "page_size": page_size,
                    "previous_page_uri": None,
                    "start": 0,
                    "uri": self.path,
                },
            )

    return Handler


def _segments(body: str) -> int:
    # Twilio's own count, independent of ours: UCS-2 unless every character is ASCII.
    units = len(body.encode("utf-16-le")) // 2
    single, part = (160, 153) if body.isascii() else (70, 67)
    return 1 if units <= single else -(-units // part)
