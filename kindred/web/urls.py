"""Server-rendered pages. Each section keeps its own url module."""

from django.urls import include, path

from kindred.web.account.urls import urlpatterns as account_urls
from kindred.web.agreements.urls import urlpatterns as agreements_urls
from kindred.web.audit.urls import urlpatterns as audit_urls
from kindred.web.billing.urls import urlpatterns as billing_urls
from kindred.web.breakglass.urls import urlpatterns as breakglass_urls
from kindred.web.clients.urls import urlpatterns as clients_urls
from kindred.web.directory.urls import urlpatterns as directory_urls
from kindred.web.goals.urls import urlpatterns as goals_urls
from kindred.web.groups.urls import urlpatterns as groups_urls
from kindred.web.intake.urls import urlpatterns as intake_urls
from kindred.web.journal.urls import urlpatterns as journal_urls
from kindred.web.matching.urls import urlpatterns as matching_urls
from kindred.web.measures.urls import urlpatterns as measures_urls
from kindred.web.member.urls import urlpatterns as member_urls
from kindred.web.milestones.urls import urlpatterns as milestones_urls
from kindred.web.notes.urls import urlpatterns as notes_urls
from kindred.web.notifications.urls import urlpatterns as notifications_urls
from kindred.web.outcomes.urls import urlpatterns as outcomes_urls
from kindred.web.practice.urls import urlpatterns as practice_urls
from kindred.web.psychnotes.urls import urlpatterns as psychnotes_urls
from kindred.web.questionnaires.urls import urlpatterns as questionnaires_urls
from kindred.web.records.urls import urlpatterns as records_urls
from kindred.web.screening.urls import urlpatterns as screening_urls
from kindred.web.sessions.urls import urlpatterns as sessions_urls
from kindred.web.space.urls import urlpatterns as space_urls
from kindred.web.strategies.urls import urlpatterns as strategies_urls
from kindred.web.views import home

app_name = "web"

urlpatterns = [
    path("", home.root, name="root"),
    path("home/", home.home, name="home"),
    path("home/member/", home.member_home, name="member_home"),
    path("home/<slug:role>/", home.role_home, name="role_home"),
    path("help/", home.help_now, name="help"),
    *practice_urls,
    *clients_urls,
    *audit_urls,
    *account_urls,
    *groups_urls,
    *sessions_urls,
    *member_urls,
    *directory_urls,
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
    *breakglass_urls,
    path("", include("kindred.web.datarights.urls")),
]
