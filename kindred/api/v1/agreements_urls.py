from django.urls import URLPattern, URLResolver, path

from kindred.api.v1 import agreements as views
from kindred.api.v1 import agreements_preparation as prep

T = "agreement-templates/<int:template_id>"
G = "groups/<int:group_id>"
P = f"{G}/preparation/<int:item_id>"

urlpatterns: list[URLPattern | URLResolver] = [
    path("agreement-templates/", views.TemplateListView.as_view(), name="agreement_templates"),
    path(f"{T}/", views.TemplateDetailView.as_view(), name="agreement_template"),
    path(f"{T}/draft/", views.DraftView.as_view(), name="agreement_draft"),
    path(f"{T}/draft/publish/", views.PublishView.as_view(), name="agreement_publish"),
    path(
        "agreement-versions/<int:version_id>/",
        views.VersionDetailView.as_view(),
        name="agreement_version",
    ),
    path(f"{G}/agreement/", views.GroupAgreementView.as_view(), name="group_agreement"),
    path(f"{G}/agreement/sign/", views.SignView.as_view(), name="group_agreement_sign"),
    path(
        f"{G}/agreement-signatures/",
        views.GroupSignatureListView.as_view(),
        name="group_agreement_signatures",
    ),
    path(
        "agreement-signatures/<int:signature_id>/",
        views.SignatureDetailView.as_view(),
        name="agreement_signature",
    ),
    path(
        "agreement-signatures/<int:signature_id>/pdf/",
        views.SignaturePdfView.as_view(),
        name="agreement_signature_pdf",
    ),
    path(f"{G}/preparation/", prep.ItemListView.as_view(), name="group_preparation"),
    path(f"{G}/preparation/copy/", prep.CopyView.as_view(), name="group_preparation_copy"),
    path(f"{P}/", prep.ItemDetailView.as_view(), name="group_preparation_item"),
    path(f"{P}/move/", prep.ItemMoveView.as_view(), name="group_preparation_move"),
    path(f"{P}/read/", prep.ItemReadView.as_view(), name="group_preparation_read"),
]
