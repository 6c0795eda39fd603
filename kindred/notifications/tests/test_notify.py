from kindred.notifications.models import Notification
from kindred.notifications.services import notify


def test_notify_creates_one_notification(cast):
    n = notify(user=cast.member, kind="session.cancelled", title="A session was cancelled")
    assert n is not None
    assert Notification.objects.filter(user=cast.member).count() == 1


def test_same_dedupe_key_notifies_once(cast):
    first = notify(user=cast.member, kind="k", title="t", dedupe_key="session:1:cancelled")
    second = notify(user=cast.member, kind="k", title="t", dedupe_key="session:1:cancelled")
    assert first is not None
    assert second is None
    assert Notification.objects.filter(user=cast.member).count() == 1
    # Another person is notified about the same event.
    assert notify(user=cast.member_b, kind="k", title="t", dedupe_key="session:1:cancelled")


def test_without_dedupe_key_every_call_notifies(cast):
    notify(user=cast.member, kind="k", title="t")
    notify(user=cast.member, kind="k", title="t")
    assert Notification.objects.filter(user=cast.member).count() == 2
