"""Server-rendered pages. Each section keeps its own url module."""

from django.urls import path

from kindred.web.account.urls import urlpatterns as account_urls
from kindred.web.audit.urls import urlpatterns as audit_urls
from kindred.web.clients.urls import urlpatterns as clients_urls
from kindred.web.practice.urls import urlpatterns as practice_urls
from kindred.web.views import home

app_name = "web"

urlpatterns = [
    path("", home.root, name="root"),
    path("home/", home.home, name="home"),
    path("home/member/", home.member_home, name="member_home"),
    path("home/<slug:role>/", home.role_home, name="role_home"),
    path("help/", home.help_now, name="help"),
    *practice_urls,
    *clients_urls,
    *audit_urls,
    *account_urls,
]
