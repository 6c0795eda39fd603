"""A Twilio-compatible SMS API on 127.0.0.1 for tests: the real HTTP boundary, with
nothing of ours mocked. It records what it accepted and can be told to misbehave."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from django.utils import timezone

SID = "AC0000000000000000000000000000test"
TOKEN = "test-auth-token-not-secret"
FROM = "+13125550199"


@dataclass
class Accepted:
    to: str
    sender: str
    body: str
    sid: str
    created: str


@dataclass
class FakeSmsApi:
    url: str = ""
    accepted: list[Accepted] = field(default_factory=list)
    requests: list[tuple[str, str, dict[str, list[str]], str]] = field(default_factory=list)
    # What the next POSTs do: "ok", "accept_then_hang" (takes it, answers too late),
    # "hang" (answers too late without taking it), or an HTTP status to answer with.
    mode: str | int = "ok"
    hang_seconds: float = 1.0


def _handler(api: FakeSmsApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
            return

        def _authorised(self) -> bool:
            expected = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
            return self.headers.get("Authorization") == expected

        def _json(self, status: int, payload: object) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode())
            api.requests.append(("POST", self.path, form, self.headers.get("Content-Type", "")))
            if not self._authorised():
                self._json(401, {"code": 20003, "message": "Authenticate"})
                return
            if isinstance(api.mode, int):
                self._json(api.mode, {"code": 30000 + api.mode, "message": "Refused"})
                return
            if api.mode == "hang":
                time.sleep(api.hang_seconds)
                return
            sid = f"SM{len(api.accepted) + 1:032d}"
            api.accepted.append(
                Accepted(
                    to=form["To"][0],
                    sender=form["From"][0],
                    body=form["Body"][0],
                    sid=sid,
                    created=format_datetime(timezone.now()),
                )
            )
            if api.mode == "accept_then_hang":
                time.sleep(api.hang_seconds)
                return
            self._json(201, {"sid": sid, "status": "queued"})

        def do_GET(self) -> None:
            query = parse_qs(urlsplit(self.path).query)
            api.requests.append(("GET", self.path, query, ""))
            if not self._authorised():
                self._json(401, {"code": 20003, "message": "Authenticate"})
                return
            to = query.get("To", [""])[0]
            messages = [
                {"sid": a.sid, "to": a.to, "from": a.sender, "body": a.body,
                 "status": "delivered", "date_created": a.created}
                for a in reversed(api.accepted)
                if a.to == to
            ]  # fmt: skip
            self._json(200, {"messages": messages, "next_page_uri": None})

    return Handler


def serve() -> Iterator[FakeSmsApi]:
    api = FakeSmsApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    server.daemon_threads = True
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
