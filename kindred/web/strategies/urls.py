"""Coping strategies (issue 8): members' cards, approval and the practice library."""

from django.urls import URLPattern, URLResolver, path

from kindred.web.strategies import views

G = "strategies/groups/<int:group_id>"
C = "strategies/cards/<int:card_id>"

urlpatterns: list[URLPattern | URLResolver] = [
    path("strategies/", views.index, name="strategies"),
    path("strategies/library/", views.library, name="strategies_library"),
    path("strategies/mine/", views.mine, name="strategies_mine"),
    path(f"{G}/", views.group_library, name="strategies_group"),
    path(f"{G}/share/", views.share, name="strategies_share"),
    path(f"{G}/approval/", views.queue, name="strategies_queue"),
    path(f"{C}/", views.card_detail, name="strategies_card"),
    path(f"{C}/mark/", views.mark, name="strategies_mark"),
    path(f"{C}/withdraw/", views.withdraw, name="strategies_withdraw"),
    path(f"{C}/decide/", views.decide, name="strategies_decide"),
    path(f"{C}/promote/", views.promote, name="strategies_promote"),
]
