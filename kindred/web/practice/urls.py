from django.urls import path

from kindred.web.practice import clinician_views as clinicians
from kindred.web.practice import staff_views as staff
from kindred.web.practice import views

urlpatterns = [
    # Practice set-up
    path("practice/", views.practice_profile, name="practice_profile"),
    path("practice/locations/", views.location_list, name="location_list"),
    path("practice/locations/new/", views.location_create, name="location_create"),
    path("practice/locations/<int:pk>/", views.location_detail, name="location_detail"),
    path("practice/locations/<int:pk>/edit/", views.location_edit, name="location_edit"),
    path(
        "practice/locations/<int:pk>/deactivate/",
        views.location_deactivate,
        name="location_deactivate",
    ),
    path(
        "practice/locations/<int:pk>/reactivate/",
        views.location_reactivate,
        name="location_reactivate",
    ),
    path("practice/locations/<int:pk>/rooms/new/", views.room_create, name="room_create"),
    path("practice/rooms/<int:pk>/edit/", views.room_edit, name="room_edit"),
    path("practice/rooms/<int:pk>/deactivate/", views.room_deactivate, name="room_deactivate"),
    path("practice/rooms/<int:pk>/reactivate/", views.room_reactivate, name="room_reactivate"),
    path("practice/compacts/", views.compact_list, name="compact_list"),
    path("practice/compacts/new/", views.compact_create, name="compact_create"),
    path("practice/compacts/<int:pk>/", views.compact_detail, name="compact_detail"),
    path("practice/compacts/<int:pk>/edit/", views.compact_edit, name="compact_edit"),
    path(
        "practice/compacts/<int:pk>/states/new/",
        views.compact_state_add,
        name="compact_state_add",
    ),
    path(
        "practice/compact-states/<int:pk>/end/", views.compact_state_end, name="compact_state_end"
    ),
    # Staff
    path("staff/", staff.staff_list, name="staff_list"),
    path("staff/new/", staff.staff_create, name="staff_create"),
    path("staff/<int:pk>/", staff.staff_detail, name="staff_detail"),
    path("staff/<int:pk>/edit/", staff.staff_edit, name="staff_edit"),
    path("staff/<int:pk>/roles/", staff.staff_roles, name="staff_roles"),
    path("staff/<int:pk>/deactivate/", staff.staff_deactivate, name="staff_deactivate"),
    path("staff/<int:pk>/reactivate/", staff.staff_reactivate, name="staff_reactivate"),
    path("staff/<int:pk>/send-link/", staff.staff_send_link, name="staff_send_link"),
    # Clinicians
    path("clinicians/", clinicians.clinician_list, name="clinician_list"),
    path("clinicians/me/", clinicians.clinician_self, name="clinician_self"),
    path("clinicians/new/", clinicians.clinician_create, name="clinician_create"),
    path("clinicians/<int:pk>/", clinicians.clinician_detail, name="clinician_detail"),
    path("clinicians/<int:pk>/edit/", clinicians.clinician_edit, name="clinician_edit"),
    path("clinicians/<int:pk>/licenses/new/", clinicians.license_create, name="license_create"),
    path("clinicians/licenses/<int:pk>/edit/", clinicians.license_edit, name="license_edit"),
    path("clinicians/licenses/<int:pk>/end/", clinicians.license_end, name="license_end"),
    path(
        "clinicians/<int:pk>/privileges/new/",
        clinicians.privilege_create,
        name="privilege_create",
    ),
    path("clinicians/privileges/<int:pk>/edit/", clinicians.privilege_edit, name="privilege_edit"),
    path("clinicians/privileges/<int:pk>/end/", clinicians.privilege_end, name="privilege_end"),
]
