from django.urls import URLPattern, URLResolver, path

from kindred.api.v1 import accounts

urlpatterns: list[URLPattern | URLResolver] = [
    path("me/", accounts.MeView.as_view(), name="me"),
    path("tokens/", accounts.TokenListView.as_view(), name="token_list"),
    path("tokens/<int:token_id>/", accounts.TokenDetailView.as_view(), name="token_detail"),
]
