from django.urls import URLPattern, path

from kindred.api.v1 import strategies as views

G = "strategies/groups/<int:group_id>"
C = "strategies/cards/<int:card_id>"

urlpatterns: list[URLPattern] = [
    path("strategies/library/", views.LibraryView.as_view(), name="strategies_library"),
    path("strategies/mine/", views.MyStrategiesView.as_view(), name="strategies_mine"),
    path(f"{G}/", views.GroupStrategiesView.as_view(), name="strategies_group"),
    path(f"{G}/pending/", views.PendingStrategiesView.as_view(), name="strategies_pending"),
    path(f"{C}/", views.StrategyDetailView.as_view(), name="strategies_card"),
    path(f"{C}/marks/", views.MarkView.as_view(), name="strategies_marks"),
    path(f"{C}/marks/<slug:kind>/", views.MarkDeleteView.as_view(), name="strategies_mark"),
    path(f"{C}/decision/", views.DecisionView.as_view(), name="strategies_decision"),
    path(f"{C}/promote/", views.PromoteView.as_view(), name="strategies_promote"),
    path(f"{C}/withdraw/", views.StrategyWithdrawView.as_view(), name="strategies_withdraw"),
]
