"""Shared personas and stores. Alice administers Contoso; Bob administers Fabrikam (Entra ID);
Root is a superuser. Tests assert what an outsider sees: pages, mail that arrived, rows."""

import pytest
from django.contrib.auth import get_user_model

from identitystores.models import IdentityStore, Portal, StoreRole

pytest_plugins = [
    "tests.support.servers.fixtures",
    "tests.support.workers",
    "tests.support.browser",
    "tests.support.exchange",
    "tests.support.layout",
]

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def contoso(db):
    return IdentityStore.objects.create(name="Contoso AD", type=IdentityStore.Type.ACTIVE_DIRECTORY)


@pytest.fixture
def fabrikam(db):
    return IdentityStore.objects.create(name="Fabrikam Entra", type=IdentityStore.Type.ENTRA_ID)


@pytest.fixture
def alice(db, contoso):
    user = get_user_model().objects.create_user("alice", "alice@contoso.test", PASSWORD)
    StoreRole.objects.create(user=user, store=contoso)
    return user


@pytest.fixture
def bob(db, fabrikam):
    user = get_user_model().objects.create_user("bob", "bob@fabrikam.test", PASSWORD)
    StoreRole.objects.create(user=user, store=fabrikam)
    return user


@pytest.fixture
def root(db):
    return get_user_model().objects.create_superuser("root", "root@dirmgr.test", PASSWORD)


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def portal(db, contoso):
    p = Portal.objects.create(name="Self-service", url="https://portal.contoso.test/")
    p.stores.add(contoso)
    return p


@pytest.fixture
def contoso_mail(contoso):
    """Contoso's Notifications settings: a From address, no recipients or boxes yet."""
    from notifications.models import NotificationSettings

    return NotificationSettings.objects.create(
        store=contoso, smtp_host="127.0.0.1", from_email="directory@contoso.test"
    )


@pytest.fixture
def make_object(contoso):
    """Create a directory object directly (no event): make_object("user", "Ann", "ann@x.test")."""
    from directory.models import DirectoryObject

    def make(kind, name, email="", *, store=None, **values):
        return DirectoryObject.objects.create(
            store=store or contoso, kind=kind, name=name, email=email, **values
        )

    return make


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """SQLite test databases live in a file, so Celery worker processes can share them."""
    from tests.support.workers import use_file_sqlite_for_tests

    use_file_sqlite_for_tests(tmp_path_factory)
