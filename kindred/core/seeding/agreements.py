"""Group agreements, signatures and preparation for the demo and scale data sets.

Demo (through the real services): Kindred's example agreement published and used by
every demo group; the first demo member signs it and reads the preparation in each of
their groups, the other demo members have not yet (so their home page shows the
getting-ready checklist); four preparation items per group.

Scale (bulk): the example agreement with three published versions; each group uses one
(most the newest, older groups an earlier one); members with an active place have
signed — most the version their group uses, some only an earlier one (they need to sign
again), a few not at all. Signing needs the member's portal account, so the members who
signed get one: switched off (``is_active=False``), since scale accounts never sign in
and reminder planning only counts active accounts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from random import Random
from typing import TYPE_CHECKING

from django.contrib.auth.hashers import make_password
from django.db.models import QuerySet

from kindred.accounts.models import User, UserKind
from kindred.clients.models import Client
from kindred.groups.models import Enrollment, EnrollmentStatus, GroupModality, TherapyGroup
from kindred.intake.models import AgreementSignature, AgreementVersion

if TYPE_CHECKING:
    from kindred.intake.models import AgreementTemplate

Progress = Callable[[int], object]

#: Documentation addresses (RFC 5737): never a real person's.
IP_PREFIXES = ("192.0.2.", "198.51.100.", "203.0.113.")


# --- Demo ---------------------------------------------------------------------------------


def seed_agreement() -> AgreementVersion:
    """Kindred's example agreement, published as version 1 (a system action)."""
    from kindred.intake.agreements import latest_version, load_default_agreement

    template, version, _created = load_default_agreement(actor=None, publish=True)
    version = version or latest_version(template)
    assert version is not None  # noqa: S101 - load_default_agreement published it
    return version


def seed_group_agreements(version: AgreementVersion, groups: Iterable[TherapyGroup]) -> int:
    """Every group uses ``version`` (members are told, as when a coordinator chooses it)."""
    from kindred.groups.services import group_update

    count = 0
    for group in groups:
        group_update(actor=None, group=group, agreement_version=version)
        count += 1
    return count


def seed_signatures(members: Iterable[User], *, signers: int = 1) -> int:
    """The first ``signers`` demo members sign the agreement of each group they are in."""
    from kindred.intake.agreement_signatures import agreement_sign

    count = 0
    for n, member in enumerate(list(members)[:signers]):
        client = Client.objects.get(user=member)
        for enrollment in _places(client):
            group = enrollment.group
            if group.agreement_version is None:
                continue
            _signature, created = agreement_sign(
                actor=member,
                group=group,
                version_id=group.agreement_version.pk,
                text_sha256=group.agreement_version.body_sha256,
                typed_name=client.legal_name,
                agreed=True,
                ip=f"{IP_PREFIXES[0]}{10 + n}",
            )
            count += created
    return count


def _places(client: Client) -> QuerySet[Enrollment]:
    return Enrollment.objects.filter(
        client=client, status__in=(EnrollmentStatus.INVITED, EnrollmentStatus.ACTIVE)
    ).select_related("group__agreement_version")


# Our own words: what a new member of a demo group reads before their first session.
PREPARATION: tuple[tuple[str, str], ...] = (
    (
        "What to expect",
        (
            "Each session starts with a short check-in: your first name and a sentence about "
            "your week. Then we talk about what people bring, and the facilitator may "
            "suggest an exercise to try.\n\n"
            "- You never have to share more than you want to. Listening is taking part.\n"
            "- The first sessions can feel awkward. That is normal, and it passes.\n"
            "- Sessions end on time, with a few minutes to settle before you go."
        ),
    ),
    (
        "How we look after each other",
        (
            "Everyone signs the same group agreement. In short: what is said here stays here, "
            "we come on time, we let the group know when we cannot come, and we speak for "
            "ourselves. Your facilitator keeps the group safe and on track."
        ),
    ),
    (
        "What might feel hard",
        (
            "Talking about painful things can stir up feelings for a few days afterwards. Be "
            "gentle with yourself, and tell your facilitator if a session left you shaken.\n\n"
            "If you are ever in crisis, call or text **988**, or **911** in an emergency. The "
            "group is not an emergency service."
        ),
    ),
)

JOIN_ONLINE = (
    "How to join",
    (
        "Sign in to Kindred a few minutes before the start: the **Join** button on your home "
        "page opens the video room 10 minutes early.\n\n"
        "- Find a private place where no one can see or hear the group.\n"
        "- Use headphones if others are nearby.\n"
        "- Test your camera and microphone the day before."
    ),
)
JOIN_IN_PERSON = (
    "How to get there",
    (
        "Your home page shows the address and the room. Please arrive five minutes early; "
        "the door opens 10 minutes before the start. If you are running late, come in "
        "quietly, we will be glad to see you."
    ),
)


def seed_preparation(groups: Iterable[TherapyGroup]) -> int:
    """Four preparation items for each group: what to expect, norms, what may feel hard,
    and how to join (online or in person, as the group meets)."""
    from kindred.intake.preparation import preparation_item_create

    count = 0
    for group in groups:
        join = JOIN_IN_PERSON if group.modality == GroupModality.IN_PERSON else JOIN_ONLINE
        for title, body in (*PREPARATION, join):
            preparation_item_create(actor=None, group=group, title=title, body=body)
            count += 1
    return count


def seed_preparation_reads(members: Iterable[User], *, readers: int = 1) -> int:
    """The first ``readers`` demo members have read their groups' preparation."""
    from kindred.intake.preparation import preparation_items, preparation_mark_read

    count = 0
    for member in list(members)[:readers]:
        client = Client.objects.get(user=member)
        for enrollment in _places(client):
            for item in preparation_items(enrollment.group):
                _mark, created = preparation_mark_read(actor=member, item=item)
                count += created
    return count


def seed_demo_agreements(groups: list[TherapyGroup], members: list[User]) -> int:
    """Everything above for the demo practice; returns the rows written."""
    version = seed_agreement()
    return (
        seed_group_agreements(version, groups)
        + seed_preparation(groups)
        + seed_signatures(members)
        + seed_preparation_reads(members)
    )


# --- Scale ---------------------------------------------------------------------------------


SCALE_BODIES = (
    "What is said here stays here.",
    "What is said here stays here. Come on time, and tell the group when you cannot come.",
)


def scale_versions() -> list[AgreementVersion]:
    """Kindred's example agreement with three published versions (oldest first)."""
    from kindred.intake.agreements import (
        agreement_draft_start,
        agreement_draft_update,
        agreement_version_publish,
    )

    first = seed_agreement()
    template: AgreementTemplate = first.template
    versions = list(AgreementVersion.objects.filter(template=template).order_by("number"))
    for n, extra in enumerate(SCALE_BODIES, start=len(versions) + 1):
        if len(versions) >= 3:
            break
        agreement_draft_start(actor=None, template=template)
        agreement_draft_update(
            actor=None,
            template=template,
            body=f"{first.body}\n\n## Added in version {n}\n\n{extra}\n",
            summary_of_changes=f"Version {n}: a short section added.",
        )
        versions.append(agreement_version_publish(actor=None, template=template))
    return versions


def seed_scale_group_agreements(
    groups: list[TherapyGroup], versions: list[AgreementVersion], *, rng: Random
) -> int:
    """One version per group: most the newest; groups that started long ago (or have
    finished) sometimes kept an earlier one."""
    newest = versions[-1]
    by_version: dict[int, list[int]] = {}
    for group in groups:
        chosen = newest if rng.random() < 0.8 else rng.choice(versions[:-1] or versions)
        group.agreement_version = chosen
        by_version.setdefault(chosen.pk, []).append(group.pk)
    for version_id, ids in by_version.items():
        TherapyGroup.objects.filter(pk__in=ids).update(agreement_version_id=version_id)
    return len(groups)


def seed_scale_signatures(
    groups: list[TherapyGroup],
    versions: list[AgreementVersion],
    *,
    rng: Random,
    tag: str,
    batch_size: int,
    progress: Progress,
) -> int:
    """Signatures of the members with an active place: 90 % signed their group's
    version, 7 % only an earlier one, 3 % not yet. Each signer gets a (switched off)
    portal account first. Returns the rows written (accounts and signatures)."""
    version_of = {g.pk: g.agreement_version for g in groups if g.agreement_version is not None}
    earlier = {v.pk: [w for w in versions if w.number < v.number] for v in versions}
    rows = list(
        Enrollment.objects.filter(group_id__in=list(version_of), status=EnrollmentStatus.ACTIVE)
        .order_by("id")
        .values_list("group_id", "client_id", "activated_at", "invited_at")
    )
    plans: list[tuple[int, int, AgreementVersion, datetime]] = []
    for group_id, client_id, activated_at, invited_at in rows:
        roll = rng.random()
        version = version_of[group_id]
        if roll >= 0.97:
            continue
        if roll >= 0.90 and earlier[version.pk]:
            version = rng.choice(earlier[version.pk])
        began = activated_at or invited_at
        signed_at = max(invited_at, began - timedelta(hours=rng.randint(1, 48)))
        plans.append((group_id, client_id, version, signed_at))
    users = _scale_accounts({client_id for _, client_id, _, _ in plans}, tag, batch_size)
    names = {
        pk: f"{first} {last}"
        for pk, first, last in Client.objects.filter(pk__in=list(users)).values_list(
            "pk", "legal_first_name", "legal_last_name"
        )
    }
    signatures = [
        AgreementSignature(
            version=version,
            client_id=client_id,
            group_id=group_id,
            user_id=users[client_id],
            typed_name=names[client_id],
            agreed=True,
            signed_at=signed_at,
            ip=f"{rng.choice(IP_PREFIXES)}{rng.randint(1, 254)}",
            text_sha256=version.body_sha256,
        )
        for group_id, client_id, version, signed_at in plans
    ]
    for start in range(0, len(signatures), batch_size):
        chunk = signatures[start : start + batch_size]
        AgreementSignature.objects.bulk_create(chunk, batch_size=batch_size)
        progress(len(chunk))
    return len(users) + len(signatures)


def _scale_accounts(client_ids: set[int], tag: str, batch_size: int) -> dict[int, int]:
    """A switched-off member account for each client without one; returns client id →
    user id for all of them."""
    from kindred.core.seeding.scale import SCALE_DOMAIN

    existing = dict(
        Client.objects.filter(pk__in=client_ids, user__isnull=False).values_list("pk", "user_id")
    )
    missing = sorted(client_ids - set(existing))
    unusable = make_password(None)
    created: dict[int, int] = {}
    for start in range(0, len(missing), batch_size):
        ids = missing[start : start + batch_size]
        clients = list(Client.objects.filter(pk__in=ids).order_by("pk"))
        users = User.objects.bulk_create(
            [
                User(
                    email=f"member{c.pk}{tag}@{SCALE_DOMAIN}",
                    full_name=c.display_name,
                    kind=UserKind.MEMBER,
                    password=unusable,
                    is_active=False,
                )
                for c in clients
            ],
            batch_size=batch_size,
        )
        for client, user in zip(clients, users, strict=True):
            client.user = user
            created[client.pk] = user.pk
        Client.objects.bulk_update(clients, ["user"], batch_size=batch_size)
    return {**existing, **created}
