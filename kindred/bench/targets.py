"""What the benchmark measures: each page and API endpoint, who asks for it, and the
minimal "hello" view beside them. No Django imports: the orchestrator reads this too.

Paths may hold ``{client_id}``, ``{search}``, ``{page}``, ``{session_id}``,
``{group_id}``, ``{member_client_id}``, ``{entry_id}``, ``{waitlist_state}``,
``{ledger_client_id}``, ``{run_id}``, ``{space_group_id}`` and ``{space_thread_id}``;
the in-process phase fills them from the seeded data (a client in the middle of the
table, a common surname, the middle page of the list, the busiest recent session, whose
lead facilitator is the "facilitator" actor, its group, the member of that group with
the most answered questionnaires, whose portal account is the "measured_member" actor,
the open waitlist entry with the longest contact log, the state where most people wait,
the member with the longest billing ledger, and the latest finished matching run, which
the benchmark makes when there is none; the group space with the most posts, whose lead
is the "space_facilitator" and one of whose named members is the "space_member", and its
longest conversation). A target whose route is missing, or still points at the "being
built" placeholder, is reported as skipped with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Actor = Literal[
    "anonymous",
    "admin",
    "coordinator",
    "member",
    "facilitator",
    "measured_member",
    "billing",
    "space_member",
    "space_facilitator",
]


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    actor: Actor
    kind: Literal["hello", "web", "api"]
    title: str


HELLO = Target("hello", "/bench/hello/", "anonymous", "hello", "minimal hello view")

TARGETS: tuple[Target, ...] = (
    HELLO,
    Target("home_admin", "/home/admin/", "admin", "web", "admin home"),
    Target("home_coordinator", "/home/coordinator/", "coordinator", "web", "coordinator home"),
    Target("home_member", "/home/member/", "member", "web", "member home"),
    Target("api_me", "/api/v1/me/", "coordinator", "api", "API: who am I"),
    Target("client_list", "/clients/", "coordinator", "web", "client list, first page"),
    Target(
        "client_list_paged",
        "/clients/?page={page}",
        "coordinator",
        "web",
        "client list, middle page",
    ),
    Target(
        "client_search",
        "/clients/?search={search}",
        "coordinator",
        "web",
        "client list searched by name",
    ),
    Target("client_detail", "/clients/{client_id}/", "coordinator", "web", "client detail"),
    Target("api_client_list", "/api/v1/clients/", "coordinator", "api", "API: client list"),
    Target(
        "api_client_list_paged",
        "/api/v1/clients/?page={page}",
        "coordinator",
        "api",
        "API: client list, middle page",
    ),
    Target(
        "api_client_search",
        "/api/v1/clients/?search={search}",
        "coordinator",
        "api",
        "API: client search by name",
    ),
    Target(
        "api_client_detail",
        "/api/v1/clients/{client_id}/",
        "coordinator",
        "api",
        "API: client detail",
    ),
    Target(
        "home_facilitator",
        "/home/facilitator/",
        "facilitator",
        "web",
        "facilitator dashboard (today and upcoming sessions)",
    ),
    Target(
        "attendance_sheet",
        "/sessions/{session_id}/attendance/",
        "facilitator",
        "web",
        "attendance sheet of a recent session",
    ),
    Target(
        "group_dashboard",
        "/groups/{group_id}/dashboard/",
        "facilitator",
        "web",
        "group dashboard (attendance, pulse, severity, not on track, alerts)",
    ),
    Target(
        "member_chart",
        "/clients/{member_client_id}/outcomes/",
        "facilitator",
        "web",
        "a member's outcomes chart (trajectories, RCI, classification)",
    ),
    Target("api_alerts", "/api/v1/alerts/", "facilitator", "api", "API: safety alerts"),
    Target(
        "api_group_dashboard",
        "/api/v1/groups/{group_id}/dashboard/",
        "facilitator",
        "api",
        "API: group dashboard data",
    ),
    # Intake (issue 4): the waitlist, referrals and screenings.
    Target("waitlist", "/waitlist/", "coordinator", "web", "waitlist, first page"),
    Target(
        "waitlist_filtered",
        "/waitlist/?status=open&state={waitlist_state}&modality=virtual&waited=4",
        "coordinator",
        "web",
        "waitlist filtered by state, way to meet and time waited",
    ),
    Target(
        "waitlist_entry",
        "/waitlist/{entry_id}/",
        "coordinator",
        "web",
        "a waitlist entry (status history, contact log, exclusions)",
    ),
    Target("referral_inbox", "/referrals/", "coordinator", "web", "referral inbox"),
    Target(
        "screening_list",
        "/screenings/",
        "facilitator",
        "web",
        "screening list (the facilitator's, with candidates waiting for their groups)",
    ),
    Target("api_waitlist", "/api/v1/waitlist/", "coordinator", "api", "API: waitlist"),
    # Questionnaires: a measured member's check-ins, and their group's questionnaires.
    Target(
        "member_checkins",
        "/my/questionnaires/",
        "measured_member",
        "web",
        "a member's check-ins page",
    ),
    Target(
        "api_member_questionnaires",
        "/api/v1/me/questionnaires/",
        "measured_member",
        "api",
        "API: a member's questionnaires",
    ),
    Target(
        "group_questionnaires",
        "/groups/{group_id}/questionnaires/",
        "facilitator",
        "web",
        "a group's questionnaires (schedules, recent sends, completion)",
    ),
    # Clinical notes (issue 7): writing a session's notes, the unsigned-notes dashboard,
    # a member's notes in their chart.
    Target(
        "session_notes",
        "/sessions/{session_id}/notes/",
        "facilitator",
        "web",
        "writing the notes of the busiest recent session",
    ),
    Target(
        "notes_unsigned_admin",
        "/notes/unsigned/",
        "admin",
        "web",
        "unsigned-notes dashboard, the whole practice",
    ),
    Target(
        "notes_unsigned",
        "/notes/unsigned/",
        "facilitator",
        "web",
        "unsigned-notes dashboard, a facilitator's sessions",
    ),
    Target(
        "api_session_notes",
        "/api/v1/sessions/{session_id}/notes/",
        "facilitator",
        "api",
        "API: a session's notes",
    ),
    Target(
        "api_notes_unsigned",
        "/api/v1/notes/unsigned/",
        "facilitator",
        "api",
        "API: unsigned notes",
    ),
    Target(
        "client_notes",
        "/clients/{member_client_id}/notes/",
        "facilitator",
        "web",
        "a member's notes in their chart",
    ),
    # Billing (issue 7).
    Target(
        "billing_ledger",
        "/billing/clients/{ledger_client_id}/",
        "billing",
        "web",
        "a member's billing ledger (the longest)",
    ),
    Target(
        "billing_session",
        "/billing/sessions/{session_id}/",
        "billing",
        "web",
        "the charges of the busiest recent session",
    ),
    # Matching (issue 6): the start page and the latest proposal.
    Target("matching_home", "/matching/", "coordinator", "web", "matching: start and past runs"),
    Target(
        "matching_run",
        "/matching/runs/{run_id}/",
        "coordinator",
        "web",
        "matching: the latest proposal, first page",
    ),
    # The group space (issue 8): the busiest space, its longest conversation (the page
    # shows the newest posts, never all of them), the thread list API, moderation.
    Target(
        "space",
        "/space/{space_group_id}/",
        "space_member",
        "web",
        "group space: the busiest space's conversations (member)",
    ),
    Target(
        "space_facilitator",
        "/space/{space_group_id}/",
        "space_facilitator",
        "web",
        "group space: the busiest space's conversations (facilitator)",
    ),
    Target(
        "space_thread",
        "/space/threads/{space_thread_id}/",
        "space_member",
        "web",
        "group space: the longest conversation, newest posts (member)",
    ),
    Target(
        "api_space_threads",
        "/api/v1/space/groups/{space_group_id}/threads/",
        "space_member",
        "api",
        "API: group space conversations",
    ),
    Target(
        "api_space_thread",
        "/api/v1/space/threads/{space_thread_id}/",
        "space_member",
        "api",
        "API: the longest conversation",
    ),
    Target(
        "space_moderation",
        "/space/{space_group_id}/moderation/",
        "space_facilitator",
        "web",
        "group space: moderation page",
    ),
    Target("audit_log", "/audit/", "admin", "web", "audit log, first page"),
    Target("notifications", "/notifications/", "member", "web", "notifications list"),
    Target(
        "api_notifications",
        "/api/v1/notifications/",
        "member",
        "api",
        "API: notifications list",
    ),
)


def fill(target: Target, values: dict[str, str]) -> str:
    return target.path.format(**values)
