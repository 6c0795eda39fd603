from django.urls import URLPattern, URLResolver, path

from kindred.web.agreements import group_views, member_views, views

T = "agreements/<int:template_id>"
G = "groups/<int:group_id>"
P = f"{G}/preparation/<int:item_id>"
M = "my/groups/<int:group_id>"

urlpatterns: list[URLPattern | URLResolver] = [
    # Templates and versions (staff; the practice admin writes).
    path("agreements/", views.agreement_list, name="agreement_list"),
    path("agreements/new/", views.agreement_create, name="agreement_create"),
    path("agreements/example/", views.agreement_from_example, name="agreement_from_example"),
    path(f"{T}/", views.agreement_detail, name="agreement_detail"),
    path(f"{T}/draft/", views.agreement_draft, name="agreement_draft"),
    path(f"{T}/draft/start/", views.agreement_draft_start, name="agreement_draft_start"),
    path(f"{T}/draft/publish/", views.agreement_publish, name="agreement_publish"),
    path(f"{T}/draft/discard/", views.agreement_discard, name="agreement_discard"),
    path(
        "agreements/versions/<int:version_id>/",
        views.agreement_version,
        name="agreement_version",
    ),
    path(
        "agreements/signatures/<int:signature_id>/pdf/",
        views.signature_pdf,
        name="agreement_signature_pdf",
    ),
    # A group's signatures and preparation (staff).
    path(f"{G}/agreement/", group_views.group_agreement, name="group_agreement"),
    path(f"{G}/preparation/", group_views.group_preparation, name="group_preparation"),
    path(f"{G}/preparation/copy/", group_views.preparation_copy, name="preparation_copy"),
    path(f"{P}/edit/", group_views.preparation_edit, name="preparation_edit"),
    path(f"{P}/delete/", group_views.preparation_delete, name="preparation_delete"),
    path(f"{P}/move/<slug:direction>/", group_views.preparation_move, name="preparation_move"),
    # Members.
    path(f"{M}/agreement/", member_views.member_agreement, name="member_agreement"),
    path(f"{M}/preparation/", member_views.member_preparation, name="member_preparation"),
    path(
        f"{M}/preparation/<int:item_id>/read/",
        member_views.member_preparation_read,
        name="member_preparation_read",
    ),
]
