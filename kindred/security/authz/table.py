"""The authorization table: one row per URL pattern, giving the RULE of who may use it
(see rules.py for the vocabulary and the cast's two sides) and how to fill its URL.

The matrix (tests/test_authz_matrix.py) derives the expected answer of every person x
object x method from the rule; it fails for a URL pattern without a row and for a row
whose pattern is gone. To add a URL: add a row here with the narrowest rule that is
true, the world slot of each id in the URL (world.py; slotmap.py guesses the usual
ones) and ``method="POST"`` (or PUT/DELETE) when the URL answers nothing else.

Rows marked by a slot in ``world.NOT_BUILT`` are asked about a missing object only.
"""

from __future__ import annotations

from kindred.practice.roles import Capability as C  # noqa: N817 (short, read 200 times)

from .rules import (
    ANY_MEMBER,
    ANY_STAFF,
    CLINICIANS,
    GROUP_MEMBERS,
    LEAD,
    NOBODY,
    OWNER,
    PUBLIC,
    SELF_STAFF,
    SIGNED,
    Grant,
    Row,
    Who,
    cap,
    row,
    rule,
)

# The clinical supervisor of a note's author: side A's notes are ``facilitator``'s, whom
# ``supervisor`` supervises; side B's author (``facilitator_b``) has no supervisor.
AUTHOR_SUPERVISOR = Grant(
    "author_supervisor", frozenset({Who.SUPERVISOR}), frozenset(), frozenset({Who.SUPERVISOR})
)

ROWS: dict[str, Row] = {
    "healthz": row(rule(PUBLIC)),
    "account_login": row(rule(PUBLIC)),
    "account_logout": row(rule(SIGNED)),
    "account_inactive": row(rule(PUBLIC)),
    "account_signup": row(rule(PUBLIC)),
    "account_reauthenticate": row(rule(SIGNED)),
    "account_email": row(rule(SIGNED)),
    "account_email_verification_sent": row(rule(PUBLIC)),
    "account_change_password": row(rule(SIGNED)),
    "account_set_password": row(rule(SIGNED)),
    "account_reset_password": row(rule(PUBLIC)),
    "account_confirm_login_code": row(rule(SIGNED)),
    "account_confirm_email": row(rule(PUBLIC), fixed={"key": "x"}),
    "account_reset_password_from_key_done": row(rule(PUBLIC)),
    "account_reset_password_from_key": row(rule(PUBLIC), fixed={"uidb36": "x", "key": "x"}),
    "account_reset_password_done": row(rule(PUBLIC)),
    "mfa_index": row(rule(SIGNED)),
    "mfa_authenticate": row(rule(SIGNED)),
    "mfa_reauthenticate": row(rule(SIGNED)),
    "mfa_activate_totp": row(rule(SIGNED)),
    "mfa_deactivate_totp": row(rule(ANY_STAFF)),
    "mfa_view_recovery_codes": row(
        rule(NOBODY, label="own recovery codes: none in the cast, so 404")
    ),
    "mfa_generate_recovery_codes": row(rule(SIGNED)),
    "mfa_download_recovery_codes": row(
        rule(NOBODY, label="own recovery codes: none in the cast, so 404")
    ),
    "usersessions_list": row(rule(SIGNED)),
    "api:schema": row(rule(ANY_STAFF)),
    "api:docs": row(rule(ANY_STAFF)),
    "api:v1:practice": row(rule(ANY_STAFF)),
    "api:v1:location_list": row(rule(ANY_STAFF)),
    "api:v1:location_detail": row(rule(ANY_STAFF), {"location_id": "location"}),
    "api:v1:location_deactivate": row(
        rule(cap(C.MANAGE_PRACTICE)), {"location_id": "location"}, method="POST"
    ),
    "api:v1:location_reactivate": row(
        rule(cap(C.MANAGE_PRACTICE)), {"location_id": "location"}, method="POST"
    ),
    "api:v1:room_list": row(rule(ANY_STAFF), {"location_id": "location"}),
    "api:v1:room_detail": row(rule(ANY_STAFF), {"room_id": "room"}),
    "api:v1:room_deactivate": row(rule(cap(C.MANAGE_PRACTICE)), {"room_id": "room"}, method="POST"),
    "api:v1:room_reactivate": row(rule(cap(C.MANAGE_PRACTICE)), {"room_id": "room"}, method="POST"),
    "api:v1:compact_list": row(rule(ANY_STAFF)),
    "api:v1:compact_detail": row(rule(ANY_STAFF), {"compact_id": "compact"}),
    "api:v1:compact_member_state_list": row(rule(ANY_STAFF), {"compact_id": "compact"}),
    "api:v1:compact_member_state_end": row(
        rule(cap(C.MANAGE_PRACTICE)), {"member_state_id": "member_state"}, method="POST"
    ),
    "api:v1:staff_list": row(rule(cap(C.MANAGE_STAFF))),
    "api:v1:staff_detail": row(rule(cap(C.MANAGE_STAFF)), {"user_id": "staff_user"}),
    "api:v1:staff_roles": row(rule(cap(C.MANAGE_STAFF)), {"user_id": "staff_user"}, method="PUT"),
    "api:v1:staff_deactivate": row(
        rule(cap(C.MANAGE_STAFF)), {"user_id": "staff_user"}, method="POST"
    ),
    "api:v1:staff_reactivate": row(
        rule(cap(C.MANAGE_STAFF)), {"user_id": "staff_user"}, method="POST"
    ),
    "api:v1:clinician_list": row(rule(ANY_STAFF)),
    "api:v1:clinician_detail": row(rule(ANY_STAFF), {"clinician_id": "clinician"}),
    "api:v1:clinician_licensure": row(rule(ANY_STAFF), {"clinician_id": "clinician"}),
    "api:v1:license_list": row(rule(ANY_STAFF), {"clinician_id": "clinician"}),
    "api:v1:license_detail": row(rule(ANY_STAFF), {"license_id": "license"}),
    "api:v1:license_end": row(
        rule(cap(C.MANAGE_CLINICIANS)), {"license_id": "license"}, method="POST"
    ),
    "api:v1:privilege_list": row(rule(ANY_STAFF), {"clinician_id": "clinician"}),
    "api:v1:privilege_detail": row(rule(ANY_STAFF), {"privilege_id": "privilege"}),
    "api:v1:privilege_end": row(
        rule(cap(C.MANAGE_CLINICIANS)), {"privilege_id": "privilege"}, method="POST"
    ),
    "api:v1:client_list": row(rule(ANY_STAFF)),
    "api:v1:client_detail": row(rule(CLINICIANS, cap(C.MANAGE_CLIENTS)), {"client_id": "client"}),
    "api:v1:client_archive": row(
        rule(cap(C.MANAGE_CLIENTS)), {"client_id": "client"}, method="POST"
    ),
    "api:v1:client_restore": row(
        rule(cap(C.MANAGE_CLIENTS)), {"client_id": "client"}, method="POST"
    ),
    "api:v1:client_availability": row(
        rule(CLINICIANS, cap(C.MANAGE_CLIENTS)), {"client_id": "client"}
    ),
    "api:v1:client_availability_window": row(
        rule(cap(C.MANAGE_CLIENTS)),
        {"client_id": "client", "window_id": "availability"},
        method="DELETE",
    ),
    "api:v1:client_invitations": row(
        rule(CLINICIANS, cap(C.INVITE_CLIENTS)), {"client_id": "client"}
    ),
    "api:v1:client_invitation_revoke": row(
        rule(cap(C.INVITE_CLIENTS)),
        {"client_id": "invitee", "invitation_id": "invitation"},
        method="POST",
    ),
    "api:v1:client_invitation_resend": row(
        rule(cap(C.INVITE_CLIENTS)),
        {"client_id": "invitee", "invitation_id": "invitation"},
        method="POST",
    ),
    "api:v1:concern_list": row(rule(ANY_STAFF)),
    "api:v1:concern_detail": row(rule(ANY_STAFF), {"concern_id": "concern"}),
    "api:v1:my_client": row(rule(ANY_MEMBER)),
    "api:v1:audit_event_list": row(rule(cap(C.VIEW_AUDIT))),
    "api:v1:audit_event_detail": row(rule(cap(C.VIEW_AUDIT)), {"event_id": "audit_event"}),
    "api:v1:me": row(rule(SIGNED)),
    "api:v1:token_list": row(rule(ANY_STAFF)),
    "api:v1:token_detail": row(rule(LEAD), {"token_id": "token"}),
    "api:v1:group_list": row(rule(ANY_STAFF)),
    "api:v1:group_detail": row(rule(CLINICIANS, cap(C.MANAGE_GROUPS)), {"group_id": "group"}),
    "api:v1:group_activate": row(rule(cap(C.MANAGE_GROUPS)), {"group_id": "group"}, method="POST"),
    "api:v1:group_pause": row(rule(cap(C.MANAGE_GROUPS)), {"group_id": "group"}, method="POST"),
    "api:v1:group_complete": row(rule(cap(C.MANAGE_GROUPS)), {"group_id": "group"}, method="POST"),
    "api:v1:group_cancel": row(rule(cap(C.MANAGE_GROUPS)), {"group_id": "group"}, method="POST"),
    "api:v1:group_sessions": row(rule(CLINICIANS, cap(C.MANAGE_GROUPS)), {"group_id": "group"}),
    "api:v1:group_session": row(
        rule(CLINICIANS, cap(C.MANAGE_GROUPS)), {"group_id": "group", "session_id": "session"}
    ),
    "api:v1:group_session_cancel": row(
        rule(cap(C.MANAGE_GROUPS)), {"group_id": "group", "session_id": "session"}, method="POST"
    ),
    "api:v1:group_session_reschedule": row(
        rule(cap(C.MANAGE_GROUPS)), {"group_id": "group", "session_id": "session"}, method="POST"
    ),
    "api:v1:group_session_move_online": row(
        rule(cap(C.MANAGE_GROUPS)), {"group_id": "group", "session_id": "session"}, method="POST"
    ),
    "api:v1:group_session_substitute": row(
        rule(cap(C.MANAGE_GROUPS)), {"group_id": "group", "session_id": "session"}, method="POST"
    ),
    "api:v1:group_enrollments": row(rule(LEAD, cap(C.MANAGE_GROUPS)), {"group_id": "group"}),
    "api:v1:group_enrollment_activate": row(
        rule(cap(C.MANAGE_GROUPS)),
        {"group_id": "group", "enrollment_id": "enrollment"},
        method="POST",
    ),
    "api:v1:group_enrollment_graduate": row(
        rule(cap(C.MANAGE_GROUPS)),
        {"group_id": "group", "enrollment_id": "enrollment"},
        method="POST",
    ),
    "api:v1:group_enrollment_withdraw": row(
        rule(cap(C.MANAGE_GROUPS)),
        {"group_id": "group", "enrollment_id": "enrollment"},
        method="POST",
    ),
    "api:v1:group_enrollment_remove": row(
        rule(cap(C.MANAGE_GROUPS)),
        {"group_id": "group", "enrollment_id": "enrollment"},
        method="POST",
    ),
    "api:v1:my_sessions": row(rule(CLINICIANS)),
    "api:v1:session_attendance": row(rule(LEAD, cap(C.MANAGE_GROUPS)), {"session_id": "session"}),
    "api:v1:session_attestation": row(
        rule(GROUP_MEMBERS), {"session_id": "session"}, method="POST"
    ),
    # Members with a seat get their link (after the licensure gate), the session's
    # facilitators theirs with moderator rights (api/v1/sessions.py JoinView); asked
    # about a session whose Join window is open.
    "api:v1:session_join": row(rule(GROUP_MEMBERS, LEAD), {"session_id": "live_session"}),
    "api:v1:licensure_report": row(rule(cap(C.VIEW_LICENSURE_REPORT))),
    "api:v1:member_sessions": row(rule(ANY_MEMBER)),
    "api:v1:member_absence": row(rule(GROUP_MEMBERS), {"session_id": "session"}, method="POST"),
    "api:v1:calendar_feed": row(rule(SIGNED)),
    "api:v1:directory_groups": row(rule(PUBLIC)),
    "api:v1:directory_group": row(rule(PUBLIC), {"slug": "directory_slug"}),
    "api:v1:notifications": row(rule(SIGNED)),
    "api:v1:notifications_unread_count": row(rule(SIGNED)),
    "api:v1:notification_preferences": row(rule(SIGNED)),
    "api:v1:notifications_read_all": row(rule(SIGNED), method="POST"),
    "api:v1:notification_read": row(
        rule(OWNER), {"notification_id": "notification"}, method="POST"
    ),
    "api:v1:sms_inbound": row(rule(PUBLIC), method="POST"),
    "api:v1:referral_list": row(
        rule(cap(C.VIEW_ALL_CLIENTS)),
        writes=rule(ANY_STAFF),
        note="any staff may refer someone (POST)",
    ),
    "api:v1:referral_detail": row(rule(cap(C.VIEW_ALL_CLIENTS)), {"referral_id": "referral"}),
    "api:v1:referral_attach": row(
        rule(cap(C.MANAGE_CLIENTS)), {"referral_id": "referral"}, method="POST"
    ),
    "api:v1:referral_new_record": row(
        rule(cap(C.MANAGE_CLIENTS)), {"referral_id": "referral"}, method="POST"
    ),
    "api:v1:waitlist": row(rule(cap(C.MANAGE_CLIENTS))),
    "api:v1:waitlist_entry": row(rule(cap(C.MANAGE_CLIENTS)), {"entry_id": "waitlist_entry"}),
    "api:v1:waitlist_status": row(
        rule(cap(C.MANAGE_CLIENTS)), {"entry_id": "waitlist_entry"}, method="POST"
    ),
    "api:v1:waitlist_contacts": row(rule(cap(C.MANAGE_CLIENTS)), {"entry_id": "waitlist_entry"}),
    "api:v1:waitlist_exclusions": row(rule(cap(C.MANAGE_CLIENTS)), {"entry_id": "waitlist_entry"}),
    "api:v1:waitlist_exclusion": row(
        rule(cap(C.MANAGE_CLIENTS)),
        {"entry_id": "waitlist_entry", "exclusion_id": "waitlist_exclusion"},
        method="DELETE",
    ),
    "api:v1:screening_list": row(rule(cap(C.SCREEN_CANDIDATES))),
    # A screening is read by its screener (here its group's facilitator), the group's
    # facilitators and group managers; only its screener records it (screening_access.py).
    "api:v1:screening_detail": row(rule(LEAD, cap(C.MANAGE_GROUPS)), {"screening_id": "screening"}),
    "api:v1:screening_decide": row(rule(LEAD), {"screening_id": "screening"}, method="POST"),
    "api:v1:agreement_templates": row(rule(ANY_STAFF)),
    "api:v1:agreement_template": row(rule(ANY_STAFF), {"template_id": "agreement_template"}),
    # Any staff member reads the draft being written (GET checks only that the template
    # is readable); starting, changing or discarding it needs the practice manager.
    # The next version being written: the practice admin's, as web:agreement_draft.
    "api:v1:agreement_draft": row(
        rule(cap(C.MANAGE_PRACTICE)), {"template_id": "agreement_template"}
    ),
    "api:v1:agreement_publish": row(
        rule(cap(C.MANAGE_PRACTICE)), {"template_id": "agreement_template"}, method="POST"
    ),
    # Members read the versions of their groups and the ones they signed (get_version_for).
    "api:v1:agreement_version": row(
        rule(ANY_STAFF, GROUP_MEMBERS), {"version_id": "agreement_version"}
    ),
    "api:v1:group_agreement": row(
        rule(GROUP_MEMBERS, CLINICIANS, cap(C.MANAGE_GROUPS)), {"group_id": "group"}
    ),
    "api:v1:group_agreement_sign": row(rule(GROUP_MEMBERS), {"group_id": "group"}, method="POST"),
    "api:v1:group_agreement_signatures": row(
        rule(LEAD, cap(C.MANAGE_GROUPS)), {"group_id": "group"}
    ),
    "api:v1:agreement_signature": row(
        rule(OWNER, LEAD, cap(C.MANAGE_GROUPS)), {"signature_id": "agreement_signature"}
    ),
    "api:v1:agreement_signature_pdf": row(
        rule(OWNER, LEAD, cap(C.MANAGE_GROUPS)), {"signature_id": "agreement_signature"}
    ),
    "api:v1:group_preparation": row(
        rule(GROUP_MEMBERS, CLINICIANS, cap(C.MANAGE_GROUPS)), {"group_id": "group"}
    ),
    "api:v1:group_preparation_copy": row(
        rule(CLINICIANS, cap(C.MANAGE_GROUPS)), {"group_id": "group"}, method="POST"
    ),
    "api:v1:group_preparation_item": row(
        rule(GROUP_MEMBERS, CLINICIANS, cap(C.MANAGE_GROUPS)),
        {"group_id": "group", "item_id": "preparation_item"},
    ),
    "api:v1:group_preparation_move": row(
        rule(LEAD, cap(C.MANAGE_GROUPS)),
        {"group_id": "group", "item_id": "preparation_item"},
        method="POST",
    ),
    "api:v1:group_preparation_read": row(
        rule(GROUP_MEMBERS), {"group_id": "group", "item_id": "preparation_item"}, method="POST"
    ),
    "api:v1:instrument_list": row(rule(ANY_STAFF)),
    "api:v1:instrument_detail": row(rule(ANY_STAFF), fixed={"code": "phq9"}),
    "api:v1:instrument_score": row(rule(ANY_STAFF), fixed={"code": "phq9"}, method="POST"),
    "api:v1:member_questionnaires": row(rule(ANY_MEMBER)),
    "api:v1:member_questionnaire": row(rule(OWNER), {"administration_id": "administration"}),
    "api:v1:member_questionnaire_answer": row(
        rule(OWNER), {"administration_id": "administration"}, fixed={"item": "x"}, method="PUT"
    ),
    "api:v1:member_questionnaire_submit": row(
        rule(OWNER), {"administration_id": "administration"}, method="POST"
    ),
    "api:v1:group_questionnaire_schedules": row(
        rule(LEAD, cap(C.MANAGE_GROUPS)), {"group_id": "group"}
    ),
    "api:v1:group_questionnaire_schedule": row(
        rule(LEAD, cap(C.MANAGE_GROUPS)),
        {"group_id": "group", "schedule_id": "questionnaire_schedule"},
    ),
    "api:v1:group_administrations": row(rule(LEAD, cap(C.MANAGE_GROUPS)), {"group_id": "group"}),
    "api:v1:client_administrations": row(
        rule(CLINICIANS, cap(C.MANAGE_CLIENTS)), {"client_id": "client"}
    ),
    "api:v1:alert_list": row(rule(ANY_STAFF)),
    "api:v1:alert_detail": row(
        rule(CLINICIANS, cap(C.OVERSEE_SAFETY_ALERTS)), {"alert_id": "alert"}
    ),
    "api:v1:alert_acknowledge": row(
        rule(CLINICIANS, cap(C.OVERSEE_SAFETY_ALERTS)), {"alert_id": "alert"}, method="POST"
    ),
    "api:v1:member_outcomes": row(
        rule(CLINICIANS, cap(C.VIEW_ALL_CLIENTS)), {"client_id": "client"}
    ),
    "api:v1:group_dashboard": row(rule(CLINICIANS, cap(C.MANAGE_GROUPS)), {"group_id": "group"}),
    "api:v1:session_notes": row(rule(CLINICIANS, cap(C.OVERSEE_NOTES)), {"session_id": "session"}),
    "api:v1:session_notes_sign": row(rule(LEAD), {"session_id": "session"}, method="POST"),
    "api:v1:session_notes_no_attendance": row(rule(LEAD), {"session_id": "session"}, method="POST"),
    "api:v1:client_notes": row(rule(CLINICIANS, cap(C.OVERSEE_NOTES)), {"client_id": "client"}),
    "api:v1:notes_unsigned": row(rule(ANY_STAFF)),
    "api:v1:notes_cosign_queue": row(rule(ANY_STAFF)),
    # Only the author's clinical supervisor (side A's supervisor) may co-sign; they get
    # the note's state (a draft: 409, a redirect back on the web). Other readers of the
    # note: 403 before any state (notes/services.py note_cosign); nobody else learns it
    # exists.
    "api:v1:note_cosign": row(
        rule(AUTHOR_SUPERVISOR),
        {"note_id": "session_note"},
        fixed={"kind": "group"},
        method="POST",
    ),
    "api:v1:note_addenda": row(
        rule(CLINICIANS, cap(C.OVERSEE_NOTES)),
        {"note_id": "session_note"},
        fixed={"kind": "group"},
    ),
    "api:v1:matching_run_list": row(rule(cap(C.RUN_MATCHING))),
    "api:v1:matching_run": row(rule(cap(C.RUN_MATCHING)), {"run_id": "matching_run"}),
    "api:v1:matching_line_accept": row(
        rule(cap(C.RUN_MATCHING)), {"line_id": "matching_line"}, method="POST"
    ),
    "api:v1:matching_line_edit": row(
        rule(cap(C.RUN_MATCHING)), {"line_id": "matching_line"}, method="POST"
    ),
    "api:v1:matching_line_reject": row(
        rule(cap(C.RUN_MATCHING)), {"line_id": "matching_line"}, method="POST"
    ),
    "api:v1:matching_settings": row(rule(cap(C.RUN_MATCHING))),
    "api:v1:psychotherapy_notes_export": row(rule(CLINICIANS)),
    "api:v1:client_record": row(rule(cap(C.EXPORT_RECORDS)), {"client_id": "client"}),
    "api:v1:client_record_pdf": row(rule(cap(C.EXPORT_RECORDS)), {"client_id": "client"}),
    "api:v1:session_charges": row(rule(cap(C.MANAGE_BILLING)), {"session_id": "session"}),
    "api:v1:session_charges_post": row(
        rule(cap(C.MANAGE_BILLING)), {"session_id": "session"}, method="POST"
    ),
    "api:v1:client_charges": row(rule(cap(C.MANAGE_BILLING)), {"client_id": "client"}),
    "api:v1:client_payments": row(rule(cap(C.MANAGE_BILLING)), {"client_id": "client"}),
    "api:v1:client_balance": row(rule(cap(C.MANAGE_BILLING)), {"client_id": "client"}),
    "api:v1:client_diagnoses": row(rule(cap(C.MANAGE_BILLING)), {"client_id": "client"}),
    "api:v1:client_superbill": row(rule(cap(C.MANAGE_BILLING)), {"client_id": "client"}),
    "api:v1:space_list": row(rule(SIGNED)),
    "api:v1:space_detail": row(rule(GROUP_MEMBERS, LEAD), {"group_id": "group"}),
    "api:v1:space_pause": row(rule(LEAD), {"group_id": "group"}, method="POST"),
    "api:v1:space_display_name": row(
        rule(GROUP_MEMBERS, LEAD),
        {"group_id": "group"},
        method="PUT",
        note="the group's facilitator reaches the form (400 on an empty name)",
    ),
    "api:v1:space_threads": row(rule(GROUP_MEMBERS, LEAD), {"group_id": "group"}),
    "api:v1:space_moderation": row(rule(LEAD), {"group_id": "group"}),
    "api:v1:space_mutes": row(rule(LEAD), {"group_id": "group"}, method="POST"),
    "api:v1:space_mute_lift": row(rule(LEAD), {"mute_id": "mute"}, method="POST"),
    "api:v1:space_thread": row(rule(GROUP_MEMBERS, LEAD), {"thread_id": "thread"}),
    "api:v1:space_thread_posts": row(
        rule(GROUP_MEMBERS, LEAD), {"thread_id": "thread"}, method="POST"
    ),
    "api:v1:space_reactions": row(rule(GROUP_MEMBERS, LEAD), {"post_id": "post"}, method="POST"),
    "api:v1:space_reaction": row(
        rule(GROUP_MEMBERS, LEAD),
        {"post_id": "post"},
        fixed={"kind": "heart"},
        method="DELETE",
        absent_ok=True,
        note="removes one's own reaction: none in the world, so 404 when allowed",
    ),
    "api:v1:space_reports": row(rule(GROUP_MEMBERS, LEAD), {"post_id": "post"}, method="POST"),
    "api:v1:space_post_moderation": row(rule(LEAD), {"post_id": "post"}, method="POST"),
    "api:v1:space_conversations": row(rule(GROUP_MEMBERS, LEAD), {"group_id": "group"}),
    # A conversation is read by its two members and the group's facilitators
    # (space/access.py get_conversation_for); sending in it and reporting one of its
    # messages are for its two members only (get_own_conversation_for,
    # get_own_message_for): a facilitator gets 404 before any input is looked at.
    "api:v1:space_conversation": row(rule(OWNER, LEAD), {"conversation_id": "conversation"}),
    "api:v1:space_conversation_messages": row(
        rule(OWNER), {"conversation_id": "conversation"}, method="POST"
    ),
    "api:v1:space_message_moderation": row(
        rule(LEAD), {"message_id": "direct_message"}, method="POST"
    ),
    "api:v1:space_message_reports": row(
        rule(OWNER), {"message_id": "direct_message"}, method="POST"
    ),
    "api:v1:space_report_resolve": row(rule(LEAD), {"report_id": "post_report"}, method="POST"),
    "api:v1:strategies_library": row(rule(SIGNED)),
    "api:v1:strategies_mine": row(rule(ANY_MEMBER)),
    "api:v1:strategies_group": row(
        rule(GROUP_MEMBERS, LEAD, cap(C.MANAGE_PRACTICE)), {"group_id": "group"}
    ),
    "api:v1:strategies_pending": row(rule(LEAD, cap(C.MANAGE_PRACTICE)), {"group_id": "group"}),
    "api:v1:strategies_card": row(rule(OWNER, LEAD, cap(C.MANAGE_PRACTICE)), {"card_id": "card"}),
    "api:v1:strategies_marks": row(
        rule(OWNER, LEAD, cap(C.MANAGE_PRACTICE)), {"card_id": "card"}, method="POST"
    ),
    "api:v1:strategies_mark": row(
        rule(OWNER, LEAD, cap(C.MANAGE_PRACTICE)),
        {"card_id": "card"},
        fixed={"kind": "helped"},
        method="DELETE",
    ),
    "api:v1:strategies_decision": row(
        rule(OWNER, LEAD, cap(C.MANAGE_PRACTICE)), {"card_id": "card"}, method="POST"
    ),
    "api:v1:strategies_promote": row(
        rule(OWNER, LEAD, cap(C.MANAGE_PRACTICE)), {"card_id": "card"}, method="POST"
    ),
    "api:v1:strategies_withdraw": row(rule(OWNER), {"card_id": "card"}, method="POST"),
    "api:v1:goals_list": row(rule(ANY_MEMBER)),
    "api:v1:goals_shared": row(rule(ANY_MEMBER)),
    "api:v1:goals_group": row(rule(CLINICIANS, cap(C.OVERSEE_NOTES)), {"group_id": "group"}),
    "api:v1:goals_detail": row(rule(OWNER, CLINICIANS, cap(C.OVERSEE_NOTES)), {"goal_id": "goal"}),
    "api:v1:goals_status": row(
        rule(OWNER, CLINICIANS, cap(C.OVERSEE_NOTES)), {"goal_id": "goal"}, method="POST"
    ),
    "api:v1:goals_checkins": row(
        rule(OWNER, CLINICIANS, cap(C.OVERSEE_NOTES)), {"goal_id": "goal"}
    ),
    "api:v1:goals_replies": row(
        rule(OWNER, CLINICIANS, cap(C.OVERSEE_NOTES)), {"goal_id": "goal"}, method="POST"
    ),
    # Hiding a reply is for the goal's staff: its group's clinicians and staff who oversee
    # every group's goals (goals/access.py staff_goal_groups: OVERSEE_SAFETY_ALERTS, the
    # admin). The goal's owner reaches the body check (400; the web page redirects with
    # the error) and is then refused by goals/services.py reply_hide (403): check order.
    "api:v1:goals_reply_moderation": row(
        rule(OWNER, CLINICIANS, cap(C.OVERSEE_SAFETY_ALERTS)),
        {"reply_id": "support_reply"},
        method="POST",
    ),
    "api:v1:milestones_mine": row(rule(ANY_MEMBER)),
    "api:v1:milestones_share": row(rule(OWNER), {"milestone_id": "milestone"}, method="POST"),
    "api:v1:milestones_dismiss": row(rule(OWNER), {"milestone_id": "milestone"}, method="POST"),
    "api:v1:milestones_unshare": row(rule(OWNER), {"milestone_id": "milestone"}, method="POST"),
    "api:v1:milestones_hide": row(rule(LEAD), {"milestone_id": "milestone"}, method="POST"),
    "api:v1:milestones_restore": row(rule(LEAD), {"milestone_id": "milestone"}, method="POST"),
    "api:v1:milestones_group": row(rule(GROUP_MEMBERS, LEAD), {"group_id": "group"}),
    "api:v1:milestones_trends": row(rule(LEAD), {"group_id": "group"}),
    "api:v1:milestones_client": row(
        rule(CLINICIANS, cap(C.MANAGE_CLIENTS)), {"client_id": "client"}
    ),
    "api:v1:journal_entries": row(rule(ANY_MEMBER)),
    "api:v1:journal_entry": row(rule(OWNER), {"entry_id": "journal_entry"}),
    "api:v1:journal_entry_share": row(rule(OWNER), {"entry_id": "journal_entry"}, method="POST"),
    "api:v1:journal_sessions": row(rule(ANY_MEMBER)),
    "api:v1:journal_group_shared": row(rule(LEAD), {"group_id": "group"}),
    "api:v1:me_data": row(rule(ANY_MEMBER)),
    "api:v1:me_data_pdf": row(rule(ANY_MEMBER)),
    "api:v1:me_closure": row(rule(ANY_MEMBER)),
    "api:v1:me_exports": row(rule(ANY_MEMBER)),
    "api:v1:me_export": row(rule(OWNER), {"export_id": "self_export"}),
    "api:v1:me_export_download": row(rule(OWNER), {"export_id": "self_export"}),
    "api:v1:account_closures": row(rule(cap(C.MANAGE_CLIENTS))),
    "api:v1:account_closure_confirm": row(
        rule(cap(C.MANAGE_CLIENTS)), {"request_id": "closure"}, method="POST"
    ),
    "api:v1:account_closures_due": row(rule(cap(C.MANAGE_PRACTICE))),
    "api:v1:account_closure_destroy": row(
        rule(cap(C.MANAGE_PRACTICE)), {"request_id": "closure"}, method="POST"
    ),
    "api:v1:account_closure_hold": row(
        rule(cap(C.MANAGE_PRACTICE)), {"request_id": "closure"}, method="POST"
    ),
    "fhir:metadata": row(rule(ANY_STAFF)),
    "fhir:patient_search": row(rule(ANY_STAFF)),
    # A Patient is a client record: clients/access.py visible_clients decides.
    "fhir:patient_read": row(
        rule(CLINICIANS, cap(C.VIEW_ALL_CLIENTS)), {"resource_id": "fhir_patient"}
    ),
    "fhir:questionnaire_search": row(rule(ANY_STAFF)),
    "fhir:questionnaire_read": row(rule(ANY_STAFF), {"resource_id": "fhir_questionnaire"}),
    "fhir:questionnaire_response_search": row(rule(ANY_STAFF)),
    # A completed questionnaire of a client the reader may see (fhir/selectors.py
    # _completed: visible_clients), as for the Patient.
    "fhir:questionnaire_response_read": row(
        rule(CLINICIANS, cap(C.VIEW_ALL_CLIENTS)), {"resource_id": "fhir_response"}
    ),
    "fhir:observation_search": row(rule(ANY_STAFF)),
    "fhir:observation_read": row(
        rule(CLINICIANS, cap(C.VIEW_ALL_CLIENTS)), {"resource_id": "fhir_observation"}
    ),
    "web:root": row(rule(SIGNED)),
    "web:home": row(rule(SIGNED)),
    "web:member_home": row(rule(SIGNED)),
    "web:role_home": row(rule(SIGNED), fixed={"role": "facilitator"}),
    "web:help": row(rule(PUBLIC)),
    "web:practice_profile": row(rule(ANY_STAFF)),
    "web:location_list": row(rule(ANY_STAFF)),
    "web:location_create": row(rule(cap(C.MANAGE_PRACTICE))),
    "web:location_detail": row(rule(ANY_STAFF), {"pk": "location"}),
    "web:location_edit": row(rule(cap(C.MANAGE_PRACTICE)), {"pk": "location"}),
    "web:location_deactivate": row(rule(cap(C.MANAGE_PRACTICE)), {"pk": "location"}, method="POST"),
    "web:location_reactivate": row(rule(cap(C.MANAGE_PRACTICE)), {"pk": "location"}, method="POST"),
    "web:room_create": row(rule(cap(C.MANAGE_PRACTICE)), {"pk": "location"}),
    "web:room_edit": row(rule(cap(C.MANAGE_PRACTICE)), {"pk": "room"}),
    "web:room_deactivate": row(rule(cap(C.MANAGE_PRACTICE)), {"pk": "room"}, method="POST"),
    "web:room_reactivate": row(rule(cap(C.MANAGE_PRACTICE)), {"pk": "room"}, method="POST"),
    "web:compact_list": row(rule(ANY_STAFF)),
    "web:compact_create": row(rule(cap(C.MANAGE_PRACTICE))),
    "web:compact_detail": row(rule(ANY_STAFF), {"pk": "compact"}),
    "web:compact_edit": row(rule(cap(C.MANAGE_PRACTICE)), {"pk": "compact"}),
    "web:compact_state_add": row(rule(cap(C.MANAGE_PRACTICE)), {"pk": "compact"}, method="POST"),
    "web:compact_state_end": row(rule(cap(C.MANAGE_PRACTICE)), {"pk": "member_state"}),
    "web:staff_list": row(rule(cap(C.MANAGE_STAFF))),
    "web:staff_create": row(rule(cap(C.MANAGE_STAFF))),
    "web:staff_detail": row(rule(cap(C.MANAGE_STAFF)), {"pk": "staff_user"}),
    "web:staff_edit": row(rule(cap(C.MANAGE_STAFF)), {"pk": "staff_user"}),
    "web:staff_roles": row(rule(cap(C.MANAGE_STAFF)), {"pk": "staff_user"}),
    "web:staff_deactivate": row(rule(cap(C.MANAGE_STAFF)), {"pk": "staff_user"}),
    "web:staff_reactivate": row(rule(cap(C.MANAGE_STAFF)), {"pk": "staff_user"}, method="POST"),
    "web:staff_send_link": row(rule(cap(C.MANAGE_STAFF)), {"pk": "staff_user"}, method="POST"),
    "web:clinician_list": row(rule(ANY_STAFF)),
    "web:clinician_self": row(rule(ANY_STAFF)),
    "web:clinician_create": row(rule(cap(C.MANAGE_CLINICIANS))),
    "web:clinician_detail": row(rule(ANY_STAFF), {"pk": "clinician"}),
    "web:clinician_edit": row(rule(cap(C.MANAGE_CLINICIANS)), {"pk": "clinician"}),
    "web:license_create": row(rule(cap(C.MANAGE_CLINICIANS)), {"pk": "clinician"}),
    "web:license_edit": row(rule(cap(C.MANAGE_CLINICIANS)), {"pk": "license"}),
    "web:license_end": row(rule(cap(C.MANAGE_CLINICIANS)), {"pk": "license"}),
    "web:privilege_create": row(rule(cap(C.MANAGE_CLINICIANS)), {"pk": "clinician"}),
    "web:privilege_edit": row(rule(cap(C.MANAGE_CLINICIANS)), {"pk": "privilege"}),
    "web:privilege_end": row(rule(cap(C.MANAGE_CLINICIANS)), {"pk": "privilege"}),
    "web:concern_list": row(rule(cap(C.MANAGE_PRACTICE))),
    "web:concern_update": row(rule(cap(C.MANAGE_PRACTICE)), {"concern_id": "concern"}),
    "web:concern_retire": row(
        rule(cap(C.MANAGE_PRACTICE)), {"concern_id": "concern"}, method="POST"
    ),
    "web:concern_restore": row(
        rule(cap(C.MANAGE_PRACTICE)), {"concern_id": "concern"}, method="POST"
    ),
    "web:client_list": row(rule(ANY_STAFF)),
    "web:client_create": row(rule(cap(C.MANAGE_CLIENTS))),
    "web:client_detail": row(rule(CLINICIANS, cap(C.MANAGE_CLIENTS)), {"client_id": "client"}),
    "web:client_update": row(rule(cap(C.MANAGE_CLIENTS)), {"client_id": "client"}),
    "web:client_archive": row(rule(cap(C.MANAGE_CLIENTS)), {"client_id": "client"}),
    "web:client_restore": row(rule(cap(C.MANAGE_CLIENTS)), {"client_id": "client"}),
    "web:availability_add": row(
        rule(cap(C.MANAGE_CLIENTS)), {"client_id": "client"}, method="POST"
    ),
    "web:availability_remove": row(
        rule(cap(C.MANAGE_CLIENTS)),
        {"client_id": "client", "window_id": "availability"},
        method="POST",
    ),
    "web:invitation_create": row(
        rule(cap(C.INVITE_CLIENTS)), {"client_id": "client"}, method="POST"
    ),
    "web:invitation_resend": row(
        rule(cap(C.INVITE_CLIENTS)),
        {"client_id": "invitee", "invitation_id": "invitation"},
        method="POST",
    ),
    "web:invitation_revoke": row(
        rule(cap(C.INVITE_CLIENTS)),
        {"client_id": "invitee", "invitation_id": "invitation"},
        method="POST",
    ),
    "web:invitation_accept": row(
        rule(NOBODY, label="needs an opened invitation in the session: 404 without one")
    ),
    "web:invitation_open": row(rule(PUBLIC), {"token": "invitation_token"}),
    "web:audit_list": row(rule(cap(C.VIEW_AUDIT))),
    "web:account": row(rule(SIGNED)),
    "web:account_token_create": row(rule(cap(C.MANAGE_OWN_TOKENS))),
    "web:account_token_revoke": row(rule(LEAD), {"token_id": "token"}, method="POST"),
    "web:group_list": row(rule(ANY_STAFF)),
    "web:group_create": row(rule(cap(C.MANAGE_GROUPS))),
    "web:group_detail": row(rule(CLINICIANS, cap(C.MANAGE_GROUPS)), {"group_id": "group"}),
    "web:group_update": row(rule(cap(C.MANAGE_GROUPS)), {"group_id": "group"}),
    "web:group_status": row(
        rule(cap(C.MANAGE_GROUPS)), {"group_id": "group"}, fixed={"action": "pause"}, method="POST"
    ),
    "web:roster_invite": row(rule(cap(C.INVITE_CLIENTS)), {"group_id": "group"}),
    "web:enrollment_activate": row(
        rule(cap(C.MANAGE_GROUPS)),
        {"group_id": "group", "enrollment_id": "enrollment"},
        method="POST",
    ),
    "web:enrollment_end": row(
        rule(cap(C.MANAGE_GROUPS)),
        {"group_id": "group", "enrollment_id": "enrollment"},
        fixed={"action": "withdraw"},
        method="POST",
    ),
    "web:group_sessions": row(rule(CLINICIANS, cap(C.MANAGE_GROUPS)), {"group_id": "group"}),
    "web:group_session_cancel": row(
        rule(cap(C.MANAGE_GROUPS)), {"group_id": "group", "session_id": "session"}
    ),
    "web:group_session_reschedule": row(
        rule(cap(C.MANAGE_GROUPS)), {"group_id": "group", "session_id": "session"}
    ),
    "web:group_session_move_online": row(
        rule(cap(C.MANAGE_GROUPS)), {"group_id": "group", "session_id": "session"}
    ),
    "web:group_session_substitute": row(
        rule(cap(C.MANAGE_GROUPS)), {"group_id": "group", "session_id": "session"}
    ),
    "web:session_attendance": row(rule(LEAD, cap(C.MANAGE_GROUPS)), {"session_id": "session"}),
    "web:session_start": row(rule(LEAD), {"session_id": "session"}),
    # Member pages (member_page; a seat at the session): facilitators start a session
    # from their own page (web:session_start), so these answer them 404.
    "web:session_attest": row(rule(GROUP_MEMBERS), {"session_id": "live_session"}),
    "web:session_join": row(rule(GROUP_MEMBERS), {"session_id": "live_session"}),
    "web:licensure_report": row(rule(cap(C.VIEW_LICENSURE_REPORT))),
    "web:licensure_report_csv": row(rule(cap(C.VIEW_LICENSURE_REPORT)), fixed={"which": "at-risk"}),
    "web:member_sessions": row(rule(ANY_MEMBER)),
    "web:member_absence": row(rule(GROUP_MEMBERS), {"session_id": "session"}),
    "web:member_absence_withdraw": row(rule(OWNER), {"notice_id": "absence_notice"}, method="POST"),
    "web:calendar": row(rule(SIGNED)),
    "web:calendar_create": row(rule(SIGNED), method="POST"),
    "web:calendar_revoke": row(rule(SIGNED), method="POST"),
    "web:calendar_session": row(
        rule(GROUP_MEMBERS, CLINICIANS, cap(C.MANAGE_GROUPS)), {"session_id": "session"}
    ),
    "web:calendar_feed": row(rule(PUBLIC), {"token": "calendar_token"}),
    "web:directory": row(rule(PUBLIC)),
    "web:directory_group": row(rule(PUBLIC), {"slug": "directory_slug"}),
    "web:directory_join": row(rule(PUBLIC), {"slug": "directory_slug"}),
    "web:directory_join_thanks": row(rule(PUBLIC), {"slug": "directory_slug"}),
    "web:join_request_list": row(rule(cap(C.MANAGE_GROUPS))),
    "web:join_request_handle": row(
        rule(cap(C.MANAGE_GROUPS)), {"request_id": "join_request"}, method="POST"
    ),
    "web:notifications": row(rule(SIGNED)),
    "web:notification_settings": row(rule(SIGNED)),
    "web:notifications_read_all": row(rule(SIGNED), method="POST"),
    "web:notification_open": row(rule(OWNER), {"notification_id": "notification"}, method="POST"),
    "web:notification_read": row(rule(OWNER), {"notification_id": "notification"}, method="POST"),
    "web:account_reminders": row(rule(ANY_MEMBER)),
    "web:client_reminders": row(rule(cap(C.MANAGE_CLIENTS)), {"client_id": "client"}),
    "web:referral_self": row(rule(PUBLIC)),
    "web:referral_thanks": row(rule(PUBLIC)),
    "web:referral_list": row(rule(cap(C.VIEW_ALL_CLIENTS))),
    "web:referral_create": row(rule(cap(C.VIEW_ALL_CLIENTS))),
    "web:referral_detail": row(rule(cap(C.VIEW_ALL_CLIENTS)), {"referral_id": "referral"}),
    "web:referral_attach": row(
        rule(cap(C.MANAGE_CLIENTS)), {"referral_id": "referral"}, method="POST"
    ),
    "web:referral_new_record": row(
        rule(cap(C.MANAGE_CLIENTS)), {"referral_id": "referral"}, method="POST"
    ),
    "web:waitlist": row(rule(cap(C.MANAGE_CLIENTS))),
    "web:waitlist_entry": row(rule(cap(C.MANAGE_CLIENTS)), {"entry_id": "waitlist_entry"}),
    "web:waitlist_status": row(
        rule(cap(C.MANAGE_CLIENTS)), {"entry_id": "waitlist_entry"}, method="POST"
    ),
    "web:waitlist_contact": row(
        rule(cap(C.MANAGE_CLIENTS)), {"entry_id": "waitlist_entry"}, method="POST"
    ),
    "web:waitlist_exclusion_add": row(
        rule(cap(C.MANAGE_CLIENTS)), {"entry_id": "waitlist_entry"}, method="POST"
    ),
    "web:waitlist_exclusion_remove": row(
        rule(cap(C.MANAGE_CLIENTS)),
        {"entry_id": "waitlist_entry", "exclusion_id": "waitlist_exclusion"},
        method="POST",
    ),
    "web:screening_list": row(rule(cap(C.SCREEN_CANDIDATES))),
    "web:screening_new": row(rule(cap(C.SCREEN_CANDIDATES))),
    "web:screening_detail": row(rule(LEAD, cap(C.MANAGE_GROUPS)), {"screening_id": "screening"}),
    "web:funnel_report": row(rule(cap(C.VIEW_INTAKE_REPORTS))),
    "web:funnel_report_csv": row(rule(cap(C.VIEW_INTAKE_REPORTS))),
    "web:agreement_list": row(rule(ANY_STAFF)),
    "web:agreement_create": row(rule(cap(C.MANAGE_PRACTICE))),
    "web:agreement_from_example": row(rule(cap(C.MANAGE_PRACTICE)), method="POST"),
    "web:agreement_detail": row(rule(ANY_STAFF), {"template_id": "agreement_template"}),
    "web:agreement_draft": row(rule(cap(C.MANAGE_PRACTICE)), {"template_id": "agreement_template"}),
    "web:agreement_draft_start": row(
        rule(cap(C.MANAGE_PRACTICE)), {"template_id": "agreement_template"}, method="POST"
    ),
    "web:agreement_publish": row(
        rule(cap(C.MANAGE_PRACTICE)), {"template_id": "agreement_template"}
    ),
    "web:agreement_discard": row(
        rule(cap(C.MANAGE_PRACTICE)), {"template_id": "agreement_template"}
    ),
    "web:agreement_version": row(rule(ANY_STAFF), {"version_id": "agreement_version"}),
    "web:agreement_signature_pdf": row(
        rule(OWNER, LEAD, cap(C.MANAGE_GROUPS)), {"signature_id": "agreement_signature"}
    ),
    "web:group_agreement": row(rule(LEAD, cap(C.MANAGE_GROUPS)), {"group_id": "group"}),
    "web:group_preparation": row(rule(CLINICIANS, cap(C.MANAGE_GROUPS)), {"group_id": "group"}),
    "web:preparation_copy": row(rule(LEAD, cap(C.MANAGE_GROUPS)), {"group_id": "group"}),
    "web:preparation_edit": row(
        rule(LEAD, cap(C.MANAGE_GROUPS)), {"group_id": "group", "item_id": "preparation_item"}
    ),
    "web:preparation_delete": row(
        rule(LEAD, cap(C.MANAGE_GROUPS)), {"group_id": "group", "item_id": "preparation_item"}
    ),
    "web:preparation_move": row(
        rule(LEAD, cap(C.MANAGE_GROUPS)),
        {"group_id": "group", "item_id": "preparation_item"},
        fixed={"direction": "up"},
        method="POST",
    ),
    "web:member_agreement": row(rule(GROUP_MEMBERS), {"group_id": "group"}),
    "web:member_preparation": row(rule(GROUP_MEMBERS), {"group_id": "group"}),
    "web:member_preparation_read": row(
        rule(GROUP_MEMBERS), {"group_id": "group", "item_id": "preparation_item"}, method="POST"
    ),
    "web:instrument_list": row(rule(ANY_STAFF)),
    "web:instrument_load": row(rule(cap(C.MANAGE_PRACTICE))),
    "web:instrument_detail": row(rule(ANY_STAFF), fixed={"code": "phq9"}),
    "web:instrument_settings": row(rule(cap(C.MANAGE_PRACTICE)), fixed={"code": "phq9"}),
    "web:member_questionnaires": row(rule(ANY_MEMBER)),
    "web:member_questionnaire": row(rule(OWNER), {"administration_id": "administration"}),
    "web:member_questionnaire_answer": row(
        rule(OWNER), {"administration_id": "administration"}, method="POST"
    ),
    "web:member_questionnaire_review": row(rule(OWNER), {"administration_id": "administration"}),
    # The thank-you page answers only for a completed questionnaire (404 for an open one).
    "web:member_questionnaire_done": row(
        rule(OWNER), {"administration_id": "completed_administration"}
    ),
    "web:group_questionnaires": row(rule(LEAD, cap(C.MANAGE_GROUPS)), {"group_id": "group"}),
    "web:group_schedule_add": row(
        rule(LEAD, cap(C.MANAGE_GROUPS)), {"group_id": "group"}, method="POST"
    ),
    "web:group_schedule_change": row(
        rule(LEAD, cap(C.MANAGE_GROUPS)),
        {"group_id": "group", "schedule_id": "questionnaire_schedule"},
        fixed={"action": "off"},  # the view knows on, off and every-n
        method="POST",
    ),
    "web:group_questionnaire_send": row(rule(LEAD), {"group_id": "group"}, method="POST"),
    "web:group_session_questionnaires": row(
        rule(LEAD, cap(C.MANAGE_GROUPS)), {"group_id": "group", "session_id": "session"}
    ),
    "web:alert_list": row(rule(CLINICIANS, cap(C.OVERSEE_SAFETY_ALERTS))),
    "web:alert_detail": row(rule(CLINICIANS, cap(C.OVERSEE_SAFETY_ALERTS)), {"alert_id": "alert"}),
    "web:member_outcomes": row(rule(CLINICIANS, cap(C.VIEW_ALL_CLIENTS)), {"client_id": "client"}),
    "web:group_dashboard": row(rule(CLINICIANS, cap(C.MANAGE_GROUPS)), {"group_id": "group"}),
    "web:member_progress": row(rule(ANY_MEMBER)),
    "web:outcome_settings": row(rule(cap(C.MANAGE_PRACTICE))),
    "web:session_notes": row(rule(CLINICIANS, cap(C.OVERSEE_NOTES)), {"session_id": "session"}),
    "web:session_notes_close_unattended": row(rule(LEAD), {"session_id": "session"}, method="POST"),
    "web:note_addendum": row(
        rule(CLINICIANS, cap(C.OVERSEE_NOTES)),
        {"note_id": "session_note"},
        fixed={"kind": "group"},
        method="POST",
    ),
    # The author's supervisor only: see api:v1:note_cosign.
    "web:note_cosign": row(
        rule(AUTHOR_SUPERVISOR),
        {"note_id": "session_note"},
        fixed={"kind": "group"},
        method="POST",
    ),
    "web:notes_cosign_queue": row(rule(ANY_STAFF)),
    "web:notes_unsigned": row(rule(ANY_STAFF)),
    "web:client_notes": row(rule(CLINICIANS, cap(C.OVERSEE_NOTES)), {"client_id": "client"}),
    "web:note_settings": row(rule(cap(C.OVERSEE_NOTES))),
    "web:matching": row(rule(cap(C.RUN_MATCHING))),
    "web:matching_run": row(rule(cap(C.RUN_MATCHING)), {"run_id": "matching_run"}),
    "web:matching_run_status": row(rule(cap(C.RUN_MATCHING)), {"run_id": "matching_run"}),
    "web:matching_line": row(rule(cap(C.RUN_MATCHING)), {"line_id": "matching_line"}),
    "web:matching_settings": row(rule(cap(C.RUN_MATCHING))),
    "web:psychnote_list": row(rule(CLINICIANS)),
    "web:psychnote_export": row(rule(CLINICIANS)),
    "web:psychnote_client_list": row(rule(CLINICIANS), {"client_id": "client"}),
    "web:psychnote_create": row(rule(CLINICIANS), {"client_id": "client"}),
    "web:psychnote_session": row(rule(CLINICIANS), {"session_id": "session"}),
    "web:psychnote_detail": row(rule(LEAD), {"note_id": "psychnote"}),
    "web:psychnote_edit": row(rule(LEAD), {"note_id": "psychnote"}),
    "web:psychnote_delete": row(rule(LEAD), {"note_id": "psychnote"}),
    "web:record_export": row(rule(cap(C.EXPORT_RECORDS)), {"client_id": "client"}),
    "web:billing_home": row(rule(cap(C.MANAGE_BILLING))),
    "web:billing_settings": row(rule(cap(C.MANAGE_BILLING))),
    "web:billing_report": row(rule(cap(C.MANAGE_BILLING))),
    "web:billing_report_csv": row(rule(cap(C.MANAGE_BILLING))),
    "web:billing_session": row(rule(cap(C.MANAGE_BILLING)), {"session_id": "session"}),
    "web:billing_charge_discard": row(
        rule(cap(C.MANAGE_BILLING)), {"charge_id": "charge"}, method="POST"
    ),
    "web:billing_ledger": row(rule(cap(C.MANAGE_BILLING)), {"client_id": "client"}),
    "web:billing_payment_new": row(rule(cap(C.MANAGE_BILLING)), {"client_id": "client"}),
    "web:billing_fee_override_new": row(rule(cap(C.MANAGE_BILLING)), {"client_id": "client"}),
    "web:billing_client_pdf": row(
        rule(cap(C.MANAGE_BILLING)), {"client_id": "client"}, fixed={"kind": "statement"}
    ),
    "web:client_diagnoses": row(rule(CLINICIANS, cap(C.MANAGE_BILLING)), {"client_id": "client"}),
    "web:client_diagnosis_edit": row(
        rule(CLINICIANS, cap(C.EDIT_ANY_DIAGNOSIS)),
        {"client_id": "client", "diagnosis_id": "diagnosis"},
    ),
    "web:member_billing": row(rule(ANY_MEMBER)),
    "web:member_billing_pdf": row(rule(ANY_MEMBER), fixed={"kind": "statement"}),
    "web:space": row(rule(GROUP_MEMBERS, LEAD), {"group_id": "group"}),
    "web:space_threads": row(
        rule(SIGNED),
        {"group_id": "group"},
        denied_redirect=True,
        note="redirects to the space, which decides",
    ),
    "web:space_display_name": row(rule(GROUP_MEMBERS), {"group_id": "group"}),
    "web:space_thread_new": row(rule(GROUP_MEMBERS, LEAD), {"group_id": "group"}),
    "web:space_moderation": row(rule(LEAD), {"group_id": "group"}),
    "web:space_pause": row(rule(LEAD), {"group_id": "group"}, method="POST"),
    "web:space_mute": row(rule(LEAD), {"group_id": "group"}, method="POST"),
    "web:space_mute_lift": row(rule(LEAD), {"mute_id": "mute"}, method="POST"),
    "web:space_thread": row(rule(GROUP_MEMBERS, LEAD), {"thread_id": "thread"}),
    "web:space_thread_poll": row(
        rule(SIGNED),
        {"thread_id": "thread"},
        denied_redirect=True,
        note="redirects to the thread, which decides",
    ),
    "web:space_thread_moderate": row(rule(LEAD), {"thread_id": "thread"}, method="POST"),
    "web:space_react": row(rule(GROUP_MEMBERS, LEAD), {"post_id": "post"}, method="POST"),
    "web:space_report": row(rule(GROUP_MEMBERS, LEAD), {"post_id": "post"}),
    "web:space_post_moderate": row(rule(LEAD), {"post_id": "post"}),
    "web:space_messages": row(rule(GROUP_MEMBERS, LEAD), {"group_id": "group"}),
    # Read by its two members and the group's facilitators; a POST (sending) and the
    # report form are for its two members only: see api:v1:space_conversation.
    "web:space_conversation": row(rule(OWNER, LEAD), {"conversation_id": "conversation"}),
    "web:space_message_moderate": row(rule(LEAD), {"message_id": "direct_message"}),
    "web:space_message_report": row(rule(OWNER), {"message_id": "direct_message"}),
    "web:space_message_report_resolve": row(
        rule(LEAD), {"report_id": "message_report"}, method="POST"
    ),
    "web:space_report_resolve": row(rule(LEAD), {"report_id": "post_report"}, method="POST"),
    "web:strategies": row(rule(SIGNED)),
    "web:strategies_library": row(rule(SIGNED)),
    "web:strategies_mine": row(rule(ANY_MEMBER)),
    "web:strategies_group": row(
        rule(GROUP_MEMBERS, LEAD, cap(C.MANAGE_PRACTICE)), {"group_id": "group"}
    ),
    "web:strategies_share": row(rule(GROUP_MEMBERS), {"group_id": "group"}),
    "web:strategies_queue": row(rule(LEAD, cap(C.MANAGE_PRACTICE)), {"group_id": "group"}),
    "web:strategies_card": row(rule(OWNER, LEAD, cap(C.MANAGE_PRACTICE)), {"card_id": "card"}),
    "web:strategies_mark": row(
        rule(OWNER, LEAD, cap(C.MANAGE_PRACTICE)), {"card_id": "card"}, method="POST"
    ),
    "web:strategies_withdraw": row(
        rule(OWNER, LEAD, cap(C.MANAGE_PRACTICE)), {"card_id": "card"}, method="POST"
    ),
    "web:strategies_decide": row(rule(LEAD), {"card_id": "card"}),
    "web:strategies_promote": row(rule(LEAD), {"card_id": "card"}),
    "web:goals_home": row(rule(SIGNED)),
    "web:goals_new": row(rule(ANY_MEMBER)),
    "web:goals_shared": row(rule(ANY_MEMBER)),
    "web:goals_staff": row(rule(ANY_STAFF)),
    "web:goals_group": row(rule(CLINICIANS, cap(C.OVERSEE_NOTES)), {"group_id": "group"}),
    "web:goals_detail": row(rule(OWNER, CLINICIANS, cap(C.OVERSEE_NOTES)), {"goal_id": "goal"}),
    "web:goals_edit": row(rule(OWNER), {"goal_id": "goal"}),
    "web:goals_status": row(
        rule(OWNER, CLINICIANS, cap(C.OVERSEE_NOTES)), {"goal_id": "goal"}, method="POST"
    ),
    "web:goals_checkin": row(rule(OWNER), {"goal_id": "goal"}),
    "web:goals_reply": row(
        rule(OWNER, CLINICIANS, cap(C.OVERSEE_NOTES)), {"goal_id": "goal"}, method="POST"
    ),
    # See api:v1:goals_reply_moderation.
    "web:goals_reply_moderate": row(
        rule(OWNER, CLINICIANS, cap(C.OVERSEE_SAFETY_ALERTS)),
        {"reply_id": "support_reply"},
        method="POST",
    ),
    "web:milestones": row(rule(ANY_MEMBER)),
    "web:milestones_share": row(rule(OWNER), {"milestone_id": "milestone"}),
    "web:milestones_dismiss": row(rule(OWNER), {"milestone_id": "milestone"}, method="POST"),
    "web:milestones_unshare": row(rule(OWNER), {"milestone_id": "milestone"}, method="POST"),
    "web:milestones_group": row(rule(GROUP_MEMBERS, LEAD), {"group_id": "group"}),
    "web:milestones_trends": row(rule(LEAD), {"group_id": "group"}),
    "web:milestones_trends_session": row(rule(LEAD), {"group_id": "group"}),
    "web:milestones_hide": row(rule(LEAD), {"milestone_id": "milestone"}),
    "web:milestones_restore": row(rule(LEAD), {"milestone_id": "milestone"}, method="POST"),
    "web:milestones_client": row(rule(CLINICIANS, cap(C.MANAGE_CLIENTS)), {"client_id": "client"}),
    "web:journal": row(rule(ANY_MEMBER)),
    "web:journal_new": row(rule(ANY_MEMBER)),
    "web:journal_entry": row(rule(OWNER), {"entry_id": "journal_entry"}),
    "web:journal_edit": row(rule(OWNER), {"entry_id": "journal_entry"}),
    "web:journal_share": row(rule(OWNER), {"entry_id": "journal_entry"}),
    "web:journal_unshare": row(rule(OWNER), {"entry_id": "journal_entry"}, method="POST"),
    "web:journal_delete": row(rule(OWNER), {"entry_id": "journal_entry"}),
    "web:journal_group": row(rule(LEAD), {"group_id": "group"}),
    "web:breakglass_open": row(rule(CLINICIANS)),
    # One's own grant only (breakglass/selectors.py get_own_grant): 404 for anyone else's.
    "web:breakglass_end": row(rule(SELF_STAFF), {"grant_id": "breakglass_grant"}, method="POST"),
    "web:breakglass_review": row(rule(cap(C.VIEW_AUDIT))),
    "web:breakglass_acknowledge": row(
        rule(cap(C.VIEW_AUDIT)), {"grant_id": "breakglass_grant"}, method="POST"
    ),
    "web:my_data": row(rule(ANY_MEMBER)),
    "web:my_data_pdf_request": row(rule(ANY_MEMBER), method="POST"),
    "web:my_data_pdf_status": row(rule(OWNER), {"export_id": "self_export"}),
    "web:my_data_pdf_download": row(rule(OWNER), {"export_id": "self_export"}),
    "web:close_account": row(rule(ANY_MEMBER)),
    "web:withdraw_closure": row(rule(ANY_MEMBER), method="POST"),
    "web:datarights_closures": row(rule(cap(C.MANAGE_CLIENTS))),
    "web:datarights_closure": row(rule(cap(C.MANAGE_CLIENTS)), {"request_id": "closure"}),
    "web:datarights_purge_due": row(rule(cap(C.MANAGE_PRACTICE))),
    "web:datarights_purge": row(rule(cap(C.MANAGE_PRACTICE)), {"request_id": "closure"}),
    "web:datarights_purge_hold": row(
        rule(cap(C.MANAGE_PRACTICE)), {"request_id": "closure"}, method="POST"
    ),
    "web:datarights_purge_lift": row(
        rule(cap(C.MANAGE_PRACTICE)), {"request_id": "closure"}, method="POST"
    ),
}
