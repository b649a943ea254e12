import pytest

from notifications.models import NotificationSettings
from tests.support.entra import connect, fill_tenant


@pytest.fixture
def graph(graph_server):
    return fill_tenant(graph_server(page_size=2, group_page_size=1, member_chunk=2))


@pytest.fixture
def entra_store(fabrikam, graph):
    connect(fabrikam, graph)
    return fabrikam


@pytest.fixture
def synced(entra_store):
    from entrasync.sync import sync_store

    sync_store(entra_store)
    return entra_store


@pytest.fixture
def mail_to_helpdesk(fabrikam):
    """Every notification of the store goes to the help desk (To:)."""
    return NotificationSettings.objects.create(
        store=fabrikam,
        smtp_host="127.0.0.1",
        from_email="directory@fabrikam.test",
        to_recipients="helpdesk@fabrikam.test",
    )


@pytest.fixture
def signin_server(test_ca, ca_bundle):
    """The loopback tenant with OpenID Connect sign-in (`tests/support/servers/oidc.py`)."""
    from tests.support.servers.oidc import EntraSignInServer

    server = EntraSignInServer(tls_context=test_ca.server_context()).start()
    yield fill_tenant(server)
    server.stop()
