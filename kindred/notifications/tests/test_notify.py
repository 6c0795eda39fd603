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


def test_notify_many_writes_in_one_go_and_respects_dedupe_keys(cast, django_assert_max_num_queries):
    from kindred.notifications.services import NewNotification, notify_many

    notify(user=cast.member, kind="k", title="t", dedupe_key="reminder:1")
    notes = [
        NewNotification(user_id=cast.member.pk, kind="k", title="again", dedupe_key="reminder:1"),
        NewNotification(user_id=cast.member.pk, kind="k", title="new", dedupe_key="reminder:2"),
        NewNotification(user_id=cast.member_b.pk, kind="k", title="new", dedupe_key="reminder:1"),
    ]
    with django_assert_max_num_queries(1):
        notify_many(notes)
    assert Notification.objects.filter(user=cast.member).count() == 2
    assert Notification.objects.filter(user=cast.member_b).count() == 1
    assert not Notification.objects.filter(title="again").exists()
