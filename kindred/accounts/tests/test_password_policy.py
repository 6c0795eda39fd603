"""The password policy (NIST SP 800-63B): length, no composition rules, the shipped
offline blocklist, context words; applied wherever a password is chosen."""

from __future__ import annotations

import gzip
import re
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.password_validation import (
    CommonPasswordValidator,
    validate_password,
)
from django.core import mail
from django.core.exceptions import ValidationError

from kindred.accounts import passwords
from kindred.accounts.models import User
from kindred.accounts.services import staff_create, staff_password_link
from kindred.accounts.tests.flows import new_browser, sign_in
from kindred.clients.tests.test_invitations import token_in
from kindred.core.errors import ValidationFailed
from kindred.core.testing import PASSWORD
from kindred.practice.models import Practice
from kindred.practice.roles import Role
from kindred.practice.settings import forget_practice_settings

PERSON = SimpleNamespace(full_name="Dana Whitfield", email="dana.whitfield@example.test")

REFUSED = {
    # On a public list (zxcvbn's 30,000 / Django's 20,000), with separators or case.
    "listed": ["1q2w3e4r5t6y7u8i9o0p", "Password1234567890", "qwertyuiop[]asdfghjkl"],
    # Famous passphrases (data/passphrases.txt), however they are spelled out.
    "passphrase": [
        "The quick brown fox jumps over the lazy dog",
        "may-the-force-be-with-you",
        "Keep Calm And Carry On!!",
    ],
    # Two listed passwords run together, or one with digits or punctuation added.
    "combined": ["iloveyouiloveyou", "sunshinepassword1", "football-baseball", "superman123456!!"],
    # Repetition and sequences.
    "sequence": [
        "aaaaaaaaaaaaaaab",
        "abcabcabcabcabcabc",
        "1234567890123456",
        "zyxwvutsrqponmlk",
        "qwertyuiopasdfghj",
        "1qaz2wsx3edc4rfv",
    ],
    # The person, the practice, Kindred.
    "context": [
        "kindredkindred2026",
        "Dana Whitfield 2026!!",
        "dana.whitfield@example.test",
        "whitfield-kindred-1",
        "Prairie Counseling 2026",
    ],
}
ACCEPTED = [
    "purple tractor umbrella seven",
    "correct horse battery staple kindred",  # the test suite's own password
    # Other tests' passwords (so the policy can be switched on without breaking them).
    "a long and private passphrase for robin",
    "a river of quiet lanterns at dusk",
    "paper boats drift past the old mill",
    "a completely different passphrase for tests",
    "another long passphrase for a member",
    "my dog loves long walks by the lake",
    "whitfield marmalade lantern harbour",
    "ZX81 taught me BASIC in 1983",
    "é ü ñ ő ß 日本語のパスフレーズです",
    "x" * 3 + "a quiet walk in the snowy woods",
]

CODES = {
    "listed": "password_blocklisted",
    "passphrase": "password_blocklisted",
    "combined": "password_blocklisted",
    "sequence": "password_sequence",
    "context": "password_context",
}


@pytest.fixture
def policy(db, settings):
    settings.AUTH_PASSWORD_VALIDATORS = passwords.VALIDATORS
    forget_practice_settings()
    yield
    forget_practice_settings()


@pytest.fixture
def prairie(policy):
    Practice.objects.update_or_create(pk=1, defaults={"name": "Prairie Counseling"})
    forget_practice_settings()


def refusal_code(password: str, user: object = PERSON) -> str | None:
    try:
        passwords.BlocklistValidator().validate(password, user)
    except ValidationError as exc:
        return str(exc.code)
    return None


@pytest.mark.parametrize(("kind", "password"), [(k, p) for k, ps in REFUSED.items() for p in ps])
def test_refused(prairie, kind, password):
    if kind == "sequence":  # some sequences are on the public lists too
        assert refusal_code(password) in {CODES[kind], "password_blocklisted"}
        assert passwords.is_repetitive_or_sequence(passwords.normalise(password))
    else:
        assert refusal_code(password) == CODES[kind]


@pytest.mark.parametrize("password", ACCEPTED)
def test_accepted(prairie, password):
    assert refusal_code(password) is None
    # No composition rules: the whole policy takes it (length 15 to 128 aside).
    validate_password(password, User(**vars(PERSON)))


def test_djangos_own_list_misses_what_ours_refuses(policy):
    """The deliberately weaker variant: with Django's CommonPasswordValidator alone (the
    previous setting) every refused password of length 15+ would have been accepted, so
    these tests would catch a return to it."""
    weak = CommonPasswordValidator()
    missed = []
    for kind in ("passphrase", "combined", "sequence", "context"):
        for password in REFUSED[kind]:
            try:
                weak.validate(password, None)
            except ValidationError:
                continue
            missed.append(password)
    assert len(missed) >= 15


def test_the_shipped_list(policy):
    words = passwords.blocklist()
    assert 39_000 < len(words) < 41_000
    raw = gzip.decompress(passwords.BLOCKLIST_PATH.read_bytes()).decode().splitlines()
    assert raw == sorted(raw), "sorted and normalised, one per line"
    assert all(line == passwords.normalise(line) and len(line) >= 3 for line in raw)
    # Far more long entries than Django's 48 of 15 or more characters.
    assert sum(len(w) >= 15 for w in words) >= 70
    assert "thequickbrownfoxjumpsoverthelazydog" in words


def test_length_limits_and_messages(policy):
    with pytest.raises(ValidationError) as short:
        validate_password("a short one", User(**vars(PERSON)))
    assert "at least 15 characters" in " ".join(short.value.messages)
    long_ok = " ".join(["lantern"] * 2 + ["marmalade harbour quietly"] * 6)[:128]
    assert len(long_ok) == 128
    validate_password(long_ok, User(**vars(PERSON)))
    with pytest.raises(ValidationError, match="at most 128"):
        validate_password(long_ok + "x", User(**vars(PERSON)))
    with pytest.raises(ValidationError) as listed:
        validate_password("Password1234567890", User(**vars(PERSON)))
    assert "list of common or leaked passwords" in listed.value.messages[0]
    # No composition rules anywhere in the help text.
    help_text = " ".join(v.get_help_text() for v in _validators())
    assert not re.search(r"digit|upper|capital|symbol|special", help_text, re.I)


def _validators() -> list[Any]:
    from django.contrib.auth.password_validation import get_default_password_validators

    return get_default_password_validators()


# --- Where a password is chosen ---------------------------------------------------------


def test_admin_set_password(policy):
    with pytest.raises(ValidationFailed) as exc:
        staff_create(
            actor=None,
            email="dana.whitfield@example.test",
            full_name="Dana Whitfield",
            roles=[Role.COORDINATOR],
            password="Dana Whitfield 2026!!",
        )
    assert "your name" in exc.value.errors["password"][0]
    assert not User.objects.filter(email="dana.whitfield@example.test").exists()


def test_password_change(policy, cast):
    http = new_browser()
    sign_in(http, cast.member.email)
    response = http.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": "iloveyouiloveyou", "password2": "iloveyouiloveyou"},
    )
    assert response.status_code == 200
    assert "list of common or leaked passwords" in response.content.decode()
    cast.member.refresh_from_db()
    assert cast.member.check_password(PASSWORD)


def test_password_reset_and_staff_invitation(policy, cast):
    """A staff invitation is allauth's reset page with a link (services.staff_password_link)."""
    http = new_browser()
    step = http.get(urlsplit(staff_password_link(cast.coordinator)).path)
    assert step.status_code == 302, step
    bad = "kindredkindred2026"
    response = http.post(step["Location"], {"password1": bad, "password2": bad})
    assert response.status_code == 200
    assert "the practice&#x27;s name" in response.content.decode()
    cast.coordinator.refresh_from_db()
    assert cast.coordinator.check_password(PASSWORD)
    good = "whitfield marmalade lantern harbour"
    done = http.post(step["Location"], {"password1": good, "password2": good})
    assert done.status_code == 302
    cast.coordinator.refresh_from_db()
    assert cast.coordinator.check_password(good)


def test_member_invitation_acceptance(policy, cast, django_capture_on_commit_callbacks):
    from kindred.clients.invitation_services import (
        hash_invitation_token,
        invitation_accept,
        invitation_create,
    )

    client = cast.client_b
    client.user = None
    client.save(update_fields=["user"])
    cast.member_b.delete()
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(actor=cast.coordinator, client=client)
    raw = token_in(str(mail.outbox[-1].body))
    users = User.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        invitation_accept(token_hash=hash_invitation_token(raw), password="zyxwvutsrqponmlk")
    assert "keyboard" in exc.value.errors["password"][0]
    assert User.objects.count() == users


def test_the_build_command_reproduces_the_shipped_file_and_times_it(tmp_path):
    """Without the wheel (no network in tests) the build refuses a wrong file and the
    timing reports the shipped list's size."""
    from django.core.management import CommandError, call_command

    from kindred.accounts.management.commands.build_password_blocklist import timing

    fake = tmp_path / "zxcvbn-4.5.0-py2.py3-none-any.whl"
    fake.write_bytes(b"not a wheel")
    with pytest.raises(CommandError, match=r"is not the zxcvbn 4\.5\.0 wheel"):
        call_command("build_password_blocklist", str(fake), "--check")
    assert timing(rounds=10).startswith("40019 entries; load ")


def test_the_demo_password_is_refused_in_the_demos_own_context(policy):
    """The demo's practice is "Prairie & Gulf Counseling Collective" at demo.example.test:
    "prairie-gulf-demo-login" is that name plus "demo" and "login", so the context rule
    refuses it (kindred/core/seeding/demo.py needs another password when this policy is
    switched on); an unrelated passphrase passes."""
    Practice.objects.update_or_create(
        pk=1, defaults={"name": "Prairie & Gulf Counseling Collective"}
    )
    forget_practice_settings()
    admin = SimpleNamespace(full_name="Ada Admin", email="admin@demo.example.test")
    assert refusal_code("prairie-gulf-demo-login", admin) == "password_context"
    assert refusal_code("violet-kettle-under-stairs", admin) is None
