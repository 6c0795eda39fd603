"""Break-glass pages (included in kindred/web/urls.py under the "web" namespace)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
