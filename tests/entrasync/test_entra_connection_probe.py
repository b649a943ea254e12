"""Test connection on the Entra ID connection settings: each failure in plain words, next to
the box to fix, and never the secret."""

from entrasync.diagnose import test_connection as probe
from entrasync.models import EntraConnection


def connection(graph, **values) -> EntraConnection:
    fields = {
        "tenant": graph.tenant,
        "client_id": graph.client_id,
        "client_secret": graph.client_secret,
        "authority_url": graph.base_url,
        "graph_url": graph.base_url,
        "timeout": 5,
        **values,
    }
    return EntraConnection(**fields)


def test_it_reports_a_working_connection(graph):
    report = probe(connection(graph))

    assert report.ok
    assert report.lines == [
        f"✓ Signed in to tenant {graph.tenant} as application {graph.client_id}",
        "✓ May read users (User.Read.All)",
        "✓ May read groups and their members (Group.Read.All)",
        "✓ May write member and owner changes back (GroupMember.ReadWrite.All)",
    ]


def test_an_unknown_tenant_is_named(graph):
    report = probe(connection(graph, tenant="nowhere.onmicrosoft.com"))

    assert not report.ok
    assert report.field_errors["tenant"] == [
        "The tenant nowhere.onmicrosoft.com was not found (AADSTS90002): enter the directory "
        "(tenant) ID or a verified domain of the tenant, and check the national cloud it lives in."
    ]


def test_a_wrong_secret_is_named_and_not_shown(graph):
    report = probe(connection(graph, client_secret="wrong-Secret-value"))

    assert report.field_errors["client_secret"][0].startswith(
        "The client secret is wrong (AADSTS7000215): paste the secret's Value, not its Secret ID"
    )
    assert "wrong-Secret-value" not in " ".join(report.lines)


def test_an_expired_secret_is_named(graph):
    graph.secret_expired = True

    report = probe(connection(graph))

    assert report.field_errors["client_secret"][0].startswith(
        "The client secret has expired (AADSTS7000222)"
    )


def test_an_unknown_client_id_is_named(graph):
    report = probe(connection(graph, client_id="99999999-0000-0000-0000-000000000000"))

    assert "client_id" in report.field_errors
    assert "AADSTS700016" in report.field_errors["client_id"][0]


def test_a_missing_read_permission_names_it_and_where_to_grant_it(graph):
    graph.roles = ("Group.Read.All", "GroupMember.ReadWrite.All")

    report = probe(connection(graph))

    assert not report.ok
    assert report.lines[-1] == (
        "✗ The app registration may not read users: it lacks the application permission "
        "User.Read.All (or admin consent for it). Grant it in Entra admin center → App "
        "registrations → API permissions → Grant admin consent."
    )


def test_a_missing_group_permission_is_named(graph):
    graph.roles = ("User.Read.All", "GroupMember.ReadWrite.All")

    report = probe(connection(graph))

    assert "Group.Read.All" in report.lines[-1]


def test_write_back_needs_groupmember_readwrite(graph):
    graph.roles = ("User.Read.All", "Group.Read.All")

    report = probe(connection(graph))
    assert not report.ok
    assert "GroupMember.ReadWrite.All" in report.lines[-1]
    assert report.lines[-1].endswith("Or turn off write-back.")

    assert probe(connection(graph, write_back=False)).ok


def test_a_closed_port_reads_as_unreachable(graph, closed_port):
    report = probe(connection(graph, authority_url=f"https://127.0.0.1:{closed_port}"))

    assert not report.ok
    assert f"127.0.0.1:{closed_port} could not be reached" in report.lines[-1]
