from django.urls import URLPattern, path

from kindred.web.questionnaires import staff_views, views

urlpatterns: list[URLPattern] = [
    # Members: their check-ins.
    path("my/questionnaires/", views.questionnaire_list, name="member_questionnaires"),
    path(
        "my/questionnaires/<int:administration_id>/",
        views.questionnaire_answer,
        name="member_questionnaire",
    ),
    path(
        "my/questionnaires/<int:administration_id>/answer/",
        views.questionnaire_answer_one,
        name="member_questionnaire_answer",
    ),
    path(
        "my/questionnaires/<int:administration_id>/review/",
        views.questionnaire_review,
        name="member_questionnaire_review",
    ),
    path(
        "my/questionnaires/<int:administration_id>/done/",
        views.questionnaire_done,
        name="member_questionnaire_done",
    ),
    # Staff: a group's questionnaires.
    path(
        "groups/<int:group_id>/questionnaires/",
        staff_views.group_questionnaires,
        name="group_questionnaires",
    ),
    path(
        "groups/<int:group_id>/questionnaires/schedules/",
        staff_views.schedule_add,
        name="group_schedule_add",
    ),
    path(
        "groups/<int:group_id>/questionnaires/schedules/<int:schedule_id>/<slug:action>/",
        staff_views.schedule_change,
        name="group_schedule_change",
    ),
    path(
        "groups/<int:group_id>/questionnaires/send/",
        staff_views.send_now,
        name="group_questionnaire_send",
    ),
    path(
        "groups/<int:group_id>/questionnaires/sessions/<int:session_id>/",
        staff_views.session_questionnaires,
        name="group_session_questionnaires",
    ),
]
