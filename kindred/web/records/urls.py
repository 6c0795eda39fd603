from django.urls import URLPattern, path

from kindred.web.records import views

urlpatterns: list[URLPattern] = [
    path("clients/<int:client_id>/record/", views.export_record, name="record_export"),
]
