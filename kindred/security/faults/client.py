"""A small HTTP client for the fault runs: real sockets to the local gunicorn, requests
sent as the production TLS proxy sends them (``X-Forwarded-Proto: https``), cookies
kept per browser, the real sign-in form (and the two-factor step for staff)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import http.client
import json
import re
import struct
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

HOST = "127.0.0.1"
ORIGIN = f"https://{HOST}"
_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


def totp(secret: str, at: float | None = None) -> str:
    """RFC 6238 code (30 s, 6 digits, SHA-1) for a base32 secret, as authenticator apps
    compute it."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


class Browser:
    def __init__(self, port: int, *, timeout: float = 30) -> None:
        self.port = port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.bearer: str | None = None

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        sent = {"Host": HOST, "X-Forwarded-Proto": "https", "User-Agent": "kindred-faults"}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.bearer:
            sent["Authorization"] = f"Bearer {self.bearer}"
        if method not in {"GET", "HEAD"}:
            sent["Origin"] = ORIGIN
            sent["Referer"] = f"{ORIGIN}{path}"
            token = self.csrf_token
            if token:
                sent["X-CSRFToken"] = token
        if content_type:
            sent["Content-Type"] = content_type
        sent.update(headers or {})
        conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
        try:
            # The server may answer and close before reading the whole body (a
            # request-size limit does that): its answer can still be read.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            data = response.read()
            got = {k.lower(): v for k, v in response.getheaders()}
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    self._keep_cookie(value)
            return Answer(response.status, got, data)
        finally:
            conn.close()

    def _keep_cookie(self, header: str) -> None:
        pair = header.split(";", 1)[0]
        name, _, value = pair.partition("=")
        name = name.strip()
        if not name:
            return
        expired = "max-age=0" in header.lower() or value.strip('"') == ""
        if expired:
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value

    @property
    def csrf_token(self) -> str:
        for name in ("__Host-csrftoken", "csrftoken"):
            if name in self.cookies:
                return self.cookies[name]
        return ""

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def get_following(self, path: str, *, hops: int = 3) -> Answer:
        """GET, following redirects within this site (at most ``hops``)."""
        answer = self.get(path)
        for _ in range(hops):
            if answer.status not in {301, 302, 303, 307, 308} or not answer.location:
                break
            target = urllib.parse.urlsplit(answer.location)
            if target.netloc not in {"", HOST}:
                break
            answer = self.get(target.path + (f"?{target.query}" if target.query else ""))
        return answer

    def post_form(self, path: str, fields: dict[str, str]) -> Answer:
        data = {"csrfmiddlewaretoken": self.csrf_token, **fields}
        return self.request(
            "POST",
            path,
            body=urllib.parse.urlencode(data).encode(),
            content_type="application/x-www-form-urlencoded",
        )

    def send_json(self, method: str, path: str, data: Any, *, key: str | None = None) -> Answer:
        headers = {"Accept": "application/json"}
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.request(
            method,
            path,
            body=json.dumps(data).encode(),
            content_type="application/json",
            headers=headers,
        )

    def sign_in(self, email: str, password: str, *, totp_secret: str | None = None) -> Answer:
        """The real sign-in form (allauth, throttled by django-axes), then the two-factor
        step when the account has one. Returns the last answer."""
        page = self.get("/accounts/login/")
        if page.status != 200:
            return page
        answer = self.post_form("/accounts/login/", {"login": email, "password": password})
        if answer.status in {301, 302} and "2fa" in answer.location and totp_secret:
            path = urllib.parse.urlsplit(answer.location).path
            form = self.get(path)
            if form.status != 200:
                return form
            answer = self.post_form(path, {"code": totp(totp_secret)})
        return answer

    @property
    def signed_in(self) -> bool:
        return any(name.endswith("sessionid") for name in self.cookies)
