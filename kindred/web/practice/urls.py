from django.urls import path

from kindred.web.placeholder import placeholder

urlpatterns = [
    path("practice/", placeholder, name="practice_profile"),
    path("practice/locations/", placeholder, name="location_list"),
    path("practice/compacts/", placeholder, name="compact_list"),
    path("staff/", placeholder, name="staff_list"),
    path("clinicians/", placeholder, name="clinician_list"),
    path("clinicians/me/", placeholder, name="clinician_self"),
]
