"""/fhir/r4/ (included from kindred/urls.py). FHIR paths have no trailing slash."""

from django.urls import URLPattern, path

from kindred.fhir import views

app_name = "fhir"

ID = "<str:resource_id>"

urlpatterns: list[URLPattern] = [
    path("metadata", views.Metadata.as_view(), name="metadata"),
    path("Patient", views.PatientSearch.as_view(), name="patient_search"),
    path(f"Patient/{ID}", views.PatientRead.as_view(), name="patient_read"),
    path("Questionnaire", views.QuestionnaireSearch.as_view(), name="questionnaire_search"),
    path(f"Questionnaire/{ID}", views.QuestionnaireRead.as_view(), name="questionnaire_read"),
    path(
        "QuestionnaireResponse",
        views.QuestionnaireResponseSearch.as_view(),
        name="questionnaire_response_search",
    ),
    path(
        f"QuestionnaireResponse/{ID}",
        views.QuestionnaireResponseRead.as_view(),
        name="questionnaire_response_read",
    ),
    path("Observation", views.ObservationSearch.as_view(), name="observation_search"),
    path(f"Observation/{ID}", views.ObservationRead.as_view(), name="observation_read"),
]
