"""The Directory connection page's sync status updates without a reload: a live poll gets the
status section alone, with the latest result; another store's admin still gets a 404."""

from django.urls import reverse
from django.utils import timezone

from identitystores.models import IdentityStore, StoreRole
from ldapsync.models import SyncStatus

LIVE = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "sync-status", "HTTP_X_LIVE_POLL": "1"}


def test_a_poll_gets_the_status_section_with_the_latest_result(client, alice):
    store = IdentityStore.objects.create(name="Example LDAP", type=IdentityStore.Type.LDAP)
    StoreRole.objects.create(user=alice, store=store)
    client.force_login(alice)
    url = reverse("ldapsync:connection", args=[store.pk])
    assert 'id="sync-status"' in client.get(url).content.decode()

    status = SyncStatus.objects.create(store=store, running_since=timezone.now())
    running = client.get(url, **LIVE).content.decode()
    status.running_since = None
    status.last_error, status.last_error_at = "Bind refused (49)", timezone.now()
    status.save()
    failed = client.get(url, **LIVE).content.decode()

    assert running.strip().startswith('<section class="card sync-status" id="sync-status"')
    assert "A sync is running" in running
    assert "<html" not in running and "Bind password" not in running
    assert "Bind refused (49)" in failed
    assert "A sync is running" not in failed


def test_another_stores_admin_gets_404_for_the_poll(client, bob):
    store = IdentityStore.objects.create(name="Example LDAP", type=IdentityStore.Type.LDAP)
    client.force_login(bob)

    response = client.get(reverse("ldapsync:connection", args=[store.pk]), **LIVE)

    assert response.status_code == 404
