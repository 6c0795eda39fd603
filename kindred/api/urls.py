"""REST API v1 and its OpenAPI schema (staff only)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from kindred.api.v1.accounts_urls import urlpatterns as accounts_urls
from kindred.api.v1.agreements_urls import urlpatterns as agreements_urls
from kindred.api.v1.audit_urls import urlpatterns as audit_urls
from kindred.api.v1.billing_urls import urlpatterns as billing_urls
from kindred.api.v1.clients_urls import urlpatterns as clients_urls
from kindred.api.v1.goals_urls import urlpatterns as goals_urls
from kindred.api.v1.groups_urls import urlpatterns as groups_urls
from kindred.api.v1.intake_urls import urlpatterns as intake_urls
from kindred.api.v1.journal_urls import urlpatterns as journal_urls
from kindred.api.v1.matching_urls import urlpatterns as matching_urls
from kindred.api.v1.measures_urls import urlpatterns as measures_urls
from kindred.api.v1.member_urls import urlpatterns as member_urls
from kindred.api.v1.milestones_urls import urlpatterns as milestones_urls
from kindred.api.v1.notes_urls import urlpatterns as notes_urls
from kindred.api.v1.notifications_urls import urlpatterns as notifications_urls
from kindred.api.v1.outcomes_urls import urlpatterns as outcomes_urls
from kindred.api.v1.practice_urls import urlpatterns as practice_urls
from kindred.api.v1.psychnotes_urls import urlpatterns as psychnotes_urls
from kindred.api.v1.questionnaires_urls import urlpatterns as questionnaires_urls
from kindred.api.v1.records_urls import urlpatterns as records_urls
from kindred.api.v1.screening_urls import urlpatterns as screening_urls
from kindred.api.v1.sessions_urls import urlpatterns as sessions_urls
from kindred.api.v1.space_urls import urlpatterns as space_urls
from kindred.api.v1.strategies_urls import urlpatterns as strategies_urls

app_name = "api"

v1 = [
    *practice_urls,
    *clients_urls,
    *audit_urls,
    *accounts_urls,
    *groups_urls,
    *sessions_urls,
    *member_urls,
    *notifications_urls,
    *intake_urls,
    *screening_urls,
    *agreements_urls,
    *measures_urls,
    *questionnaires_urls,
    *outcomes_urls,
    *notes_urls,
    *matching_urls,
    *psychnotes_urls,
    *records_urls,
    *billing_urls,
    *space_urls,
    *strategies_urls,
    *goals_urls,
    *milestones_urls,
    *journal_urls,
    path("", include("kindred.api.v1.datarights_urls")),
]

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("v1/", include((v1, "v1"))),
]
