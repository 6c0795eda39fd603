from django.urls import URLPattern, URLResolver, path

from kindred.api.v1 import practice as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("practice/", views.PracticeView.as_view(), name="practice"),
    # Locations and rooms
    path("locations/", views.LocationListView.as_view(), name="location_list"),
    path(
        "locations/<int:location_id>/", views.LocationDetailView.as_view(), name="location_detail"
    ),
    path(
        "locations/<int:location_id>/deactivate/",
        views.LocationDeactivateView.as_view(),
        name="location_deactivate",
    ),
    path(
        "locations/<int:location_id>/reactivate/",
        views.LocationReactivateView.as_view(),
        name="location_reactivate",
    ),
    path("locations/<int:location_id>/rooms/", views.RoomListView.as_view(), name="room_list"),
    path("rooms/<int:room_id>/", views.RoomDetailView.as_view(), name="room_detail"),
    path(
        "rooms/<int:room_id>/deactivate/",
        views.RoomDeactivateView.as_view(),
        name="room_deactivate",
    ),
    path(
        "rooms/<int:room_id>/reactivate/",
        views.RoomReactivateView.as_view(),
        name="room_reactivate",
    ),
    # Compacts
    path("compacts/", views.CompactListView.as_view(), name="compact_list"),
    path("compacts/<int:compact_id>/", views.CompactDetailView.as_view(), name="compact_detail"),
    path(
        "compacts/<int:compact_id>/member-states/",
        views.MemberStateListView.as_view(),
        name="compact_member_state_list",
    ),
    path(
        "compact-member-states/<int:member_state_id>/end/",
        views.MemberStateEndView.as_view(),
        name="compact_member_state_end",
    ),
    # Staff
    path("staff/", views.StaffListView.as_view(), name="staff_list"),
    path("staff/<int:user_id>/", views.StaffDetailView.as_view(), name="staff_detail"),
    path("staff/<int:user_id>/roles/", views.StaffRolesView.as_view(), name="staff_roles"),
    path(
        "staff/<int:user_id>/deactivate/",
        views.StaffDeactivateView.as_view(),
        name="staff_deactivate",
    ),
    path(
        "staff/<int:user_id>/reactivate/",
        views.StaffReactivateView.as_view(),
        name="staff_reactivate",
    ),
    # Clinicians, licenses, privileges
    path("clinicians/", views.ClinicianListView.as_view(), name="clinician_list"),
    path(
        "clinicians/<int:clinician_id>/",
        views.ClinicianDetailView.as_view(),
        name="clinician_detail",
    ),
    path(
        "clinicians/<int:clinician_id>/licensure/",
        views.LicensureView.as_view(),
        name="clinician_licensure",
    ),
    path(
        "clinicians/<int:clinician_id>/licenses/",
        views.LicenseListView.as_view(),
        name="license_list",
    ),
    path("licenses/<int:license_id>/", views.LicenseDetailView.as_view(), name="license_detail"),
    path("licenses/<int:license_id>/end/", views.LicenseEndView.as_view(), name="license_end"),
    path(
        "clinicians/<int:clinician_id>/privileges/",
        views.PrivilegeListView.as_view(),
        name="privilege_list",
    ),
    path(
        "privileges/<int:privilege_id>/",
        views.PrivilegeDetailView.as_view(),
        name="privilege_detail",
    ),
    path(
        "privileges/<int:privilege_id>/end/",
        views.PrivilegeEndView.as_view(),
        name="privilege_end",
    ),
]
