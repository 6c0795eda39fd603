from django.urls import URLPattern, path

from kindred.api.v1.records import MemberRecordPdfView, MemberRecordView

urlpatterns: list[URLPattern] = [
    path("clients/<int:client_id>/record/", MemberRecordView.as_view(), name="client_record"),
    path(
        "clients/<int:client_id>/record.pdf",
        MemberRecordPdfView.as_view(),
        name="client_record_pdf",
    ),
]
