from django.urls import path

from kindred.web.account import views

urlpatterns = [
    path("account/", views.account, name="account"),
    path("account/tokens/new/", views.token_create, name="account_token_create"),
    path("account/tokens/<int:token_id>/revoke/", views.token_revoke, name="account_token_revoke"),
]
