"""Help pages: the project's docs/ files inside the Admin Center, with GitHub's anchors, and the
Test Server answer linking to the section that explains its error."""

import pytest

from core import helpdocs

TEST_SERVER = "/identity-stores/{}/configurations/notifications/test-server/"


def test_it_serves_a_docs_page_with_an_anchor_per_heading(alice_client):
    page = alice_client.get("/help/test-server-errors/").content.decode()
    assert "<h1>What a Test Server error means, and how to fix it</h1>" in page
    assert 'id="1-reaching-the-server"' in page
    assert 'id="4-getting-an-oauth-20-token-token-endpoint"' in page
    assert "docs/test-server-errors.md" in page


@pytest.mark.parametrize("name", ["nothing-here", "..", "ARCHITECTURE", "architecture.md"])
def test_it_answers_404_for_anything_but_a_docs_page(alice_client, name):
    assert alice_client.get(f"/help/{name}/").status_code == 404


def test_it_asks_to_sign_in_first(client, db):
    response = client.get("/help/test-server-errors/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_it_keeps_headings_inside_code_blocks_as_text():
    titles = [s.title for s in helpdocs.sections("exchange-online-oauth")]
    assert "2. Enable SMTP AUTH on the mailbox" in titles
    assert not any(t.startswith("The *Enterprise application*") for t in titles)


@pytest.mark.parametrize(
    ("message", "anchor"),
    [
        ("Nothing answered at 127.0.0.1:2525: the connection was refused or timed out. …",
         "#1-reaching-the-server"),
        ("Authentication failed, the server answered: 535 5.7.8 Error: authentication failed",
         "#3-signing-in"),
        ("Something nobody wrote down", ""),
    ],
)  # fmt: skip
def test_it_finds_the_section_that_explains_a_message(db, message, anchor):
    link = helpdocs.link("test-server-errors", message)
    assert link["url"] == f"/help/test-server-errors/{anchor}"
    assert link["source"] == f"docs/test-server-errors.md{anchor}"


def test_a_failed_test_server_links_to_its_section(alice_client, contoso, closed_port, settings):
    settings.DIRMGR_DESTINATIONS_ALLOWED = ["127.0.0.0/8"]
    form = {
        "smtp_host": "127.0.0.1",
        "from_email": "n@contoso.test",
        "port": str(closed_port),
        "auth_type": "basic",
        "test_recipient": "ops@contoso.test",
    }
    url = TEST_SERVER.format(contoso.pk)
    answer = alice_client.post(url, form, HTTP_ACCEPT="application/json").json()
    assert answer["ok"] is False
    assert answer["help"]["url"] == "/help/test-server-errors/#1-reaching-the-server"
    assert answer["help"]["section"] == "1. Reaching the server"
    page = alice_client.post(url, form).content.decode()
    assert 'href="/help/test-server-errors/#1-reaching-the-server"' in page


def test_a_field_error_has_no_help_link(alice_client, contoso):
    form = {"smtp_host": "smtp://x", "test_recipient": "ops@contoso.test"}
    answer = alice_client.post(TEST_SERVER.format(contoso.pk), form, HTTP_ACCEPT="application/json")
    assert answer.status_code == 400 and answer.json()["help"] is None
