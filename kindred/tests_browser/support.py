"""Helpers for the browser suite: finding Chromium, signing in (through the pages, or
with a session cookie when the sign-in itself is not what a test is about), two-factor
codes, and the accessibility check with axe-core."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.test import Client as HttpClient
from playwright.sync_api import BrowserContext, Page, expect

from kindred.accounts.models import User

# Debian's Chromium in a container: no sandbox (no user namespaces), no GPU, and nothing
# that phones home during a test run.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
CHROMIUM_MISSING = "Chromium not installed (apt-get install chromium)"
AXE_PATH = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
SESSION_BACKEND = "allauth.account.auth_backends.AuthenticationBackend"
# Impacts that fail a page; "minor" and "moderate" findings are printed, not failed.
FAILING_IMPACTS = ("serious", "critical")


def chromium_path() -> str | None:
    """$KINDRED_CHROMIUM when set (and only then), else Debian's chromium."""
    configured = os.environ.get("KINDRED_CHROMIUM")
    candidates = [configured] if configured else [shutil.which("chromium"), "/usr/bin/chromium"]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def require_chromium() -> str:
    """The Chromium to drive; skips the test (fails it in CI) when there is none."""
    path = chromium_path()
    if path is None:
        if os.environ.get("KINDRED_REQUIRE_BROWSER") == "1":
            pytest.fail(
                f"{CHROMIUM_MISSING}. KINDRED_REQUIRE_BROWSER=1 says the browser suite must "
                "run here; set KINDRED_CHROMIUM to the binary if it lives elsewhere.",
                pytrace=False,
            )
        pytest.skip(CHROMIUM_MISSING)
    return path


# --- signing in -------------------------------------------------------------------------


def totp_code(secret: str) -> str:
    """The current code of an authenticator app holding ``secret``. Waits for the next
    period when the current one is about to end, since the server allows no drift."""
    period: int = mfa_settings.TOTP_PERIOD
    if period - time.time() % period < 4:
        time.sleep(period - time.time() % period + 0.1)
    return str(format_hotp_value(hotp_value(secret, int(time.time()) // period)))


def submit_password(page: Page, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("input[name=password]").press("Enter")


def submit_code(page: Page, code: str) -> None:
    page.locator("input[name=code]").fill(code)
    page.locator("input[name=code]").press("Enter")


def sign_in_with_cookie(context: BrowserContext, base_url: str, user: User) -> None:
    """Start ``context`` signed in as ``user`` (two-factor counts as done for staff who
    have an authenticator), for tests about pages rather than about signing in."""
    http = HttpClient()
    http.force_login(user, backend=SESSION_BACKEND)
    name = settings.SESSION_COOKIE_NAME
    context.add_cookies([{"name": name, "value": http.cookies[name].value, "url": base_url}])


# --- checks ---------------------------------------------------------------------------


def open_page(page: Page, path: str) -> None:
    """Go to ``path`` and fail unless it answers 200 (after any redirects)."""
    response = page.goto(path)
    if response is None or response.status != 200:
        status = "no response" if response is None else f"status {response.status}"
        pytest.fail(f"{path} answered {status} ({page.url})", pytrace=False)


def heading(page: Page, text: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


_AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    url: v.helpUrl,
    targets: v.nodes.slice(0, 8).map(n => n.target.join(" ")),
    count: v.nodes.length,
  }));
}"""


def axe_violations(page: Page) -> list[dict[str, Any]]:
    # Kindred's CSP allows only same-origin scripts with a nonce, so add_script_tag
    # (an inline <script>) is refused; evaluate() runs in the page through the DevTools
    # protocol, which the page's CSP does not govern.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_PATH.read_text(encoding="utf-8"))
    violations: list[dict[str, Any]] = page.evaluate(_AXE_RUN)
    return violations


def assert_accessible(page: Page) -> None:
    """Fail on axe-core violations of serious or critical impact, saying which rule,
    why, and where (CSS selectors of up to eight offending elements)."""
    violations = axe_violations(page)
    failing = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    if failing:
        lines = [f"axe-core found {len(failing)} serious/critical problem(s) on {page.url}:"]
        for v in failing:
            lines.append(f"- {v['id']} ({v['impact']}, {v['count']} element(s)): {v['help']}")
            lines.extend(f"    at {target}" for target in v["targets"])
            lines.append(f"    see {v['url']}")
        pytest.fail("\n".join(lines), pytrace=False)


_WIDEST_ELEMENTS = """() => {
  const limit = document.documentElement.clientWidth + 1;
  const name = e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
    + (typeof e.className === "string" && e.className.trim()
       ? "." + e.className.trim().split(/\\s+/).join(".") : "");
  return [...document.querySelectorAll("body *")]
    .filter(e => e.getBoundingClientRect().right > limit)
    .slice(0, 5)
    .map(name);
}"""


def assert_no_horizontal_scroll(page: Page) -> None:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    scroll_width, client_width = widths
    if scroll_width > client_width:
        wide = page.evaluate(_WIDEST_ELEMENTS)
        pytest.fail(
            f"{page.url} scrolls sideways at {client_width} px: content is {scroll_width} px "
            f"wide. Widest elements: {', '.join(wide) or 'unknown'}",
            pytrace=False,
        )
