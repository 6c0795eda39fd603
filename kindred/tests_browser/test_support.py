"""The suite's own rules about a missing Chromium (these need no browser)."""

from __future__ import annotations

import pytest

from kindred.tests_browser.support import CHROMIUM_MISSING, chromium_path, require_chromium


def test_a_missing_chromium_skips_with_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KINDRED_CHROMIUM", "/nonexistent/chromium")
    monkeypatch.delenv("KINDRED_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"Chromium not installed \(apt-get install"):
        require_chromium()


def test_a_missing_chromium_fails_when_ci_requires_the_browser(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KINDRED_CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setenv("KINDRED_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="KINDRED_REQUIRE_BROWSER=1") as failure:
        require_chromium()
    if CHROMIUM_MISSING not in str(failure.value):
        pytest.fail("the failure does not say how to install Chromium")


def test_kindred_chromium_names_the_binary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KINDRED_CHROMIUM", "/bin/sh")  # any executable file will do
    if chromium_path() != "/bin/sh":
        pytest.fail("KINDRED_CHROMIUM was not used")
