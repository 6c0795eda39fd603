from django.urls import URLPattern, URLResolver, path

from kindred.api.v1 import questionnaires as views

urlpatterns: list[URLPattern | URLResolver] = [
    # Members: their own check-ins (signed-in session only).
    path(
        "me/questionnaires/",
        views.MemberQuestionnaireListView.as_view(),
        name="member_questionnaires",
    ),
    path(
        "me/questionnaires/<int:administration_id>/",
        views.MemberQuestionnaireDetailView.as_view(),
        name="member_questionnaire",
    ),
    path(
        "me/questionnaires/<int:administration_id>/answers/<slug:item>/",
        views.MemberAnswerView.as_view(),
        name="member_questionnaire_answer",
    ),
    path(
        "me/questionnaires/<int:administration_id>/submit/",
        views.MemberSubmitView.as_view(),
        name="member_questionnaire_submit",
    ),
    # Staff: a group's schedules and questionnaires, a client's questionnaires.
    path(
        "groups/<int:group_id>/questionnaire-schedules/",
        views.ScheduleListView.as_view(),
        name="group_questionnaire_schedules",
    ),
    path(
        "groups/<int:group_id>/questionnaire-schedules/<int:schedule_id>/",
        views.ScheduleDetailView.as_view(),
        name="group_questionnaire_schedule",
    ),
    path(
        "groups/<int:group_id>/administrations/",
        views.GroupAdministrationListView.as_view(),
        name="group_administrations",
    ),
    path(
        "clients/<int:client_id>/administrations/",
        views.ClientAdministrationListView.as_view(),
        name="client_administrations",
    ),
]
