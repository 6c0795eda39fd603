from django.urls import URLPattern, path

from kindred.web.intake import public_views, referral_views, waitlist_views

urlpatterns: list[URLPattern] = [
    # Public: a visitor asks for a place (no account).
    path("refer/", public_views.referral_self, name="referral_self"),
    path("refer/thanks/", public_views.referral_thanks, name="referral_thanks"),
    # Coordinators.
    path("referrals/", referral_views.referral_list, name="referral_list"),
    path("referrals/new/", referral_views.referral_create, name="referral_create"),
    path("referrals/<int:referral_id>/", referral_views.referral_detail, name="referral_detail"),
    path(
        "referrals/<int:referral_id>/attach/",
        referral_views.referral_attach,
        name="referral_attach",
    ),
    path(
        "referrals/<int:referral_id>/new-record/",
        referral_views.referral_new_record,
        name="referral_new_record",
    ),
    path("waitlist/", waitlist_views.waitlist, name="waitlist"),
    path("waitlist/<int:entry_id>/", waitlist_views.waitlist_entry, name="waitlist_entry"),
    path(
        "waitlist/<int:entry_id>/status/",
        waitlist_views.waitlist_status,
        name="waitlist_status",
    ),
    path(
        "waitlist/<int:entry_id>/contacts/",
        waitlist_views.waitlist_contact,
        name="waitlist_contact",
    ),
    path(
        "waitlist/<int:entry_id>/exclusions/",
        waitlist_views.waitlist_exclusion_add,
        name="waitlist_exclusion_add",
    ),
    path(
        "waitlist/<int:entry_id>/exclusions/<int:exclusion_id>/remove/",
        waitlist_views.waitlist_exclusion_remove,
        name="waitlist_exclusion_remove",
    ),
]
