from django.urls import URLPattern, path

from kindred.api.v1 import intake as referrals
from kindred.api.v1 import intake_waitlist as waitlist

urlpatterns: list[URLPattern] = [
    path("referrals/", referrals.ReferralListView.as_view(), name="referral_list"),
    path(
        "referrals/<int:referral_id>/",
        referrals.ReferralDetailView.as_view(),
        name="referral_detail",
    ),
    path(
        "referrals/<int:referral_id>/attach/",
        referrals.ReferralAttachView.as_view(),
        name="referral_attach",
    ),
    path(
        "referrals/<int:referral_id>/new-record/",
        referrals.ReferralNewRecordView.as_view(),
        name="referral_new_record",
    ),
    path("waitlist/", waitlist.WaitlistListView.as_view(), name="waitlist"),
    path("waitlist/<int:entry_id>/", waitlist.WaitlistDetailView.as_view(), name="waitlist_entry"),
    path(
        "waitlist/<int:entry_id>/status/",
        waitlist.WaitlistStatusView.as_view(),
        name="waitlist_status",
    ),
    path(
        "waitlist/<int:entry_id>/contacts/",
        waitlist.ContactListView.as_view(),
        name="waitlist_contacts",
    ),
    path(
        "waitlist/<int:entry_id>/exclusions/",
        waitlist.ExclusionListView.as_view(),
        name="waitlist_exclusions",
    ),
    path(
        "waitlist/<int:entry_id>/exclusions/<int:exclusion_id>/",
        waitlist.ExclusionDetailView.as_view(),
        name="waitlist_exclusion",
    ),
]
