from django.urls import URLPattern, URLResolver, path

from kindred.api.v1 import audit

urlpatterns: list[URLPattern | URLResolver] = [
    path("audit-events/", audit.AuditEventListView.as_view(), name="audit_event_list"),
    path(
        "audit-events/<int:event_id>/",
        audit.AuditEventDetailView.as_view(),
        name="audit_event_detail",
    ),
]
