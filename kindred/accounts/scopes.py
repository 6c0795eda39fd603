"""API token scopes. A token can do what its scopes allow AND its owner's roles allow;
a scope never grants more than the owner has."""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    PRACTICE_READ = "practice:read"
    PRACTICE_WRITE = "practice:write"
    CLINICIANS_READ = "clinicians:read"
    CLINICIANS_WRITE = "clinicians:write"
    CLIENTS_READ = "clients:read"
    CLIENTS_WRITE = "clients:write"
    AUDIT_READ = "audit:read"
    SESSIONS_READ = "sessions:read"
    SESSIONS_WRITE = "sessions:write"
    GROUPS_READ = "groups:read"
    GROUPS_WRITE = "groups:write"
    SCREENING_READ = "screening:read"
    SCREENING_WRITE = "screening:write"
    REFERRALS_WRITE = "referrals:write"
    MEASURES_READ = "measures:read"
    MEASURES_WRITE = "measures:write"
    FHIR_READ = "fhir:read"
    AGREEMENTS_READ = "agreements:read"
    AGREEMENTS_WRITE = "agreements:write"
    MATCHING_READ = "matching:read"
    MATCHING_WRITE = "matching:write"
    RECORDS_EXPORT = "records:export"
    NOTES_READ = "notes:read"
    NOTES_WRITE = "notes:write"
    BILLING_READ = "billing:read"
    BILLING_WRITE = "billing:write"
    SPACE_READ = "space:read"
    SPACE_WRITE = "space:write"


SCOPE_DESCRIPTIONS: dict[Scope, str] = {
    Scope.PRACTICE_READ: "Read the practice profile, locations, rooms and compacts",
    Scope.PRACTICE_WRITE: "Change the practice profile, locations, rooms and compacts",
    Scope.CLINICIANS_READ: "Read staff, clinician profiles, licenses and privileges",
    Scope.CLINICIANS_WRITE: "Change staff, clinician profiles, licenses and privileges",
    Scope.CLIENTS_READ: "Read client records",
    Scope.CLIENTS_WRITE: "Create and change client records and send invitations",
    Scope.AUDIT_READ: "Read the audit log",
    Scope.SESSIONS_READ: "Read your sessions, attendance sheets and the licensure report",
    Scope.SESSIONS_WRITE: "Record attendance for the sessions you run",
    Scope.GROUPS_READ: "Read groups, their sessions and who holds a place",
    Scope.GROUPS_WRITE: "Set up and change groups, their sessions and places",
    Scope.SCREENING_READ: "Read screenings, admission status and the intake funnel report",
    Scope.SCREENING_WRITE: "Record screenings and their decisions",
    Scope.REFERRALS_WRITE: "Send referrals to the waitlist (for partner integrations)",
    Scope.MEASURES_READ: "Read instruments, score answers, and read the measures of the "
    "members you may see",
    Scope.MEASURES_WRITE: "Send questionnaires and record measures for the members you may see",
    Scope.FHIR_READ: "Export the records you may see as FHIR R4 (Patient, Questionnaire, "
    "QuestionnaireResponse, Observation)",
    Scope.AGREEMENTS_READ: "Read group agreements, a group's signatures and its preparation",
    Scope.AGREEMENTS_WRITE: "Write and publish group agreements (admin) and groups' preparation",
    Scope.MATCHING_READ: "Read matching runs, their proposals and the matching weights",
    Scope.MATCHING_WRITE: "Run matching, decide its proposals and set its weights",
    Scope.RECORDS_EXPORT: "Export a member's record (PDF or JSON) for a records request",
    Scope.NOTES_READ: "Read the session notes you may see (group notes, member notes, "
    "addenda, the unsigned list, your co-sign queue)",
    Scope.NOTES_WRITE: "Write, sign and co-sign session notes and add addenda",
    Scope.BILLING_READ: "Read charges, payments, balances, diagnoses and superbills",
    Scope.BILLING_WRITE: "Make and post charges, record payments and add diagnoses",
    Scope.SPACE_READ: "Read the group spaces of the groups you facilitate",
    Scope.SPACE_WRITE: "Post in and moderate the group spaces of the groups you facilitate",
}
