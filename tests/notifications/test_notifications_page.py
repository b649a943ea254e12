"""The Notifications page: every section of the spec, saving, validation, secrets, isolation."""

import logging

import pytest

from identitystores.models import AuditEntry
from notifications.models import NotificationSettings
from tests.support.notifications_page import SECRET, URL, configure_basic, field_html, post, saved

SPEC_LABELS = [
    "SMTP Server",
    "From email address",
    "Port",
    "SSL enabled",
    "Use SMTP user authentication",
    "Basic",
    "OAuth 2.0",
    "SMTP username",
    "SMTP password",
    "Token Endpoint",
    "Client ID",
    "Client Secret",
    "Scope",
    "Username",
    "Password",
    "Test Server",
    "To:",
    "CC:",
    "Also Notify",
    "Logged in users for their actions",
    "Object being modified",
    "Group owner(s) for their groups",
    "Manager(s) for their direct reports",
    "Newly added group members on addition",
    "Removed group member on removal",
    "Public group owner for membership",
    "Password Expiry Group Notifications",
    "GroupID Portal URL",
    "Membership Lifecycle Notifications",
    "On joining group",
    "On leaving group",
    "X days before user is going to leave the group",
    "Managed By Notifications",
    "Same as membership life cycle",
    "Object is added as additional owner/manager",
    "Object is removed as additional owner/manager",
    "X Days before object is removed as additional owner/manager",
    "Save",
    "Test Notification",
]


def test_it_shows_every_label_of_the_spec(alice_client, contoso, portal):
    response = alice_client.get(URL.format(contoso.pk))
    assert response.status_code == 200
    page = response.content.decode()
    missing = [label for label in SPEC_LABELS if label not in page]
    assert missing == []


def test_it_is_reached_through_the_spec_navigation(alice_client, contoso):
    page = alice_client.get("/identity-stores/").content.decode()
    assert f'href="/identity-stores/{contoso.pk}/edit/">Edit<' in page
    edit = alice_client.get(f"/identity-stores/{contoso.pk}/edit/").content.decode()
    assert f"/identity-stores/{contoso.pk}/configurations/" in edit
    configurations = alice_client.get(f"/identity-stores/{contoso.pk}/configurations/")
    assert URL.format(contoso.pk) in configurations.content.decode()


def test_it_prefills_exchange_online_defaults(alice_client, contoso):
    page = alice_client.get(URL.format(contoso.pk)).content.decode()
    assert "https://login.microsoftonline.com/organizations/oauth2/v2.0/token" in page
    assert "https://outlook.office365.com/SMTP.Send" in page


def test_it_saves_every_section(alice_client, contoso, portal):
    response = post(
        alice_client,
        contoso,
        to_recipients="Helpdesk@Contoso.test; ops@contoso.test; helpdesk@contoso.TEST",
        cc_recipients="audit@contoso.test",
        notify_actor="on",
        notify_public_group_owners="on",
        portal=str(portal.pk),
        ml_on_join="on",
        ml_days_before_enabled="on",
        ml_days_before="2",
        mb_on_removed="on",
        mb_days_before_enabled="on",
        mb_days_before="7",
    )
    assert response.status_code == 302
    s = saved(contoso)
    assert (s.smtp_host, s.from_email, s.port, s.ssl_enabled) == (
        "smtp.contoso.test",
        "notify@contoso.test",
        587,
        True,
    )
    assert s.to_list == ["Helpdesk@contoso.test", "ops@contoso.test"]
    assert s.cc_list == ["audit@contoso.test"]
    assert s.notify_actor and s.notify_public_group_owners and not s.notify_managers
    assert s.portal == portal
    assert (s.ml_on_join, s.ml_on_leave, s.membership_days_before()) == (True, False, 2)
    assert s.managed_by_options() == (False, True, 7)
    page = alice_client.get(URL.format(contoso.pk)).content.decode()
    assert "Helpdesk@contoso.test; ops@contoso.test" in page


def test_it_keeps_everything_when_one_field_is_wrong(alice_client, contoso):
    post(alice_client, contoso, to_recipients="a@contoso.test")
    response = post(alice_client, contoso, to_recipients="b@contoso.test", port="70000")
    assert response.status_code == 200
    assert "Ensure this value is less than or equal to 65535." in response.content.decode()
    assert saved(contoso).to_recipients == "a@contoso.test"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("smtp_host", "", "name or IP address."),
        ("smtp_host", "smtp://mail.contoso.test:25", "Enter only a host name or IP address"),
        ("smtp_host", "bad_host!.test", "is not a valid host name"),
        ("smtp_host", "300.1.1.1", "is not a valid IP address"),
        ("port", "0", "greater than or equal to 1"),
        ("port", "-5", "greater than or equal to 1"),
        ("port", "abc", "Enter a whole number."),
        ("from_email", "Notifier <n@contoso.test>", "without a display name"),
        ("from_email", "n@contoso.test\r\nBcc: x@evil.test", "is not a single email address"),
        ("to_recipients", "a@contoso.test, b@contoso.test", "Separate addresses with a semicolon"),
        ("to_recipients", "a@contoso.test; not-an-address", "is not a valid email address"),
        ("cc_recipients", '"x"@contoso.test', "is not a single email address"),
        ("ml_days_before", "0", "greater than or equal to 1"),
        ("ml_days_before", "366", "less than or equal to 365"),
        ("ml_days_before", "2.5", "Enter a whole number."),
    ],
)
def test_it_explains_bad_input_next_to_the_field(alice_client, contoso, field, value, message):
    extra = {"ml_days_before_enabled": "on"} if field == "ml_days_before" else {}
    response = post(alice_client, contoso, **{field: value, **extra})
    assert response.status_code == 200
    page = response.content.decode()
    field_html = page.split(f'id="field-{field}"', 1)[1].split('<div class="field', 1)[0]
    assert message in field_html.replace("&quot;", '"').replace("&#x27;", "'")
    assert not NotificationSettings.objects.filter(store=contoso).exists()


def test_it_accepts_ip_literals_and_international_names(alice_client, contoso):
    post(alice_client, contoso, smtp_host="[2001:db8::25]")
    assert saved(contoso).smtp_host == "2001:db8::25"
    post(alice_client, contoso, smtp_host="mail.bücher.test")
    assert saved(contoso).smtp_host == "mail.xn--bcher-kva.test"


def test_it_requires_days_when_the_box_is_ticked(alice_client, contoso):
    response = post(alice_client, contoso, ml_days_before_enabled="on", ml_days_before="")
    assert "Enter a number of days from 1 to 365." in response.content.decode()


def test_it_requires_basic_credentials(alice_client, contoso):
    response = post(alice_client, contoso, use_smtp_auth="on", auth_type="basic")
    page = response.content.decode()
    assert "Enter the SMTP username." in page
    assert "Enter the SMTP password." in page


def test_it_requires_oauth_fields(alice_client, contoso):
    response = post(
        alice_client,
        contoso,
        use_smtp_auth="on",
        auth_type="oauth2",
        token_endpoint="http://login.contoso.test/token",
        client_id="",
        scope="",
    )
    page = response.content.decode()
    assert "Enter an https:// address" in page
    assert "Enter the Client ID." in page
    assert "Enter the Client Secret." in page
    assert "Enter the Scope." in page


def test_it_checks_the_office365_tenant(alice_client, contoso):
    response = post(
        alice_client,
        contoso,
        use_smtp_auth="on",
        auth_type="oauth2",
        token_endpoint="https://graph.microsoft.com/v1.0",
        client_id="app",
        client_secret="s3",
        scope="https://outlook.office365.com/SMTP.Send",
    )
    assert "enter the tenant name" in response.content.decode()
    post(
        alice_client,
        contoso,
        use_smtp_auth="on",
        auth_type="oauth2",
        token_endpoint="https://graph.microsoft.com/v1.0",
        client_id="app",
        client_secret="s3",
        scope="abcd.onmicrosoft.com",
    )
    assert saved(contoso).scope == "abcd.onmicrosoft.com"


def test_it_ignores_credentials_when_authentication_is_off(alice_client, contoso):
    response = post(alice_client, contoso, use_smtp_auth=None, smtp_username="")
    assert response.status_code == 302


# --- secrets ---------------------------------------------------------------------------------


def test_it_encrypts_secrets_at_rest(alice_client, contoso):
    from django.db import connection

    configure_basic(alice_client, contoso)
    with connection.cursor() as cursor:
        cursor.execute("SELECT smtp_password FROM notifications_notificationsettings")
        (raw,) = cursor.fetchone()
    assert SECRET not in raw and raw.startswith("gAAAA")
    assert saved(contoso).smtp_password == SECRET


def test_it_never_renders_a_secret_back(alice_client, contoso, caplog):
    caplog.set_level(logging.DEBUG)
    configure_basic(alice_client, contoso)
    page = alice_client.get(URL.format(contoso.pk)).content.decode()
    assert SECRET not in page
    assert "•••• set" in page
    bad = configure_basic(alice_client, contoso, port="99999")
    assert SECRET not in bad.content.decode()
    history = alice_client.get(f"/identity-stores/{contoso.pk}/history/").content.decode()
    assert SECRET not in history
    assert SECRET not in caplog.text
    assert not AuditEntry.objects.filter(new_value__contains=SECRET).exists()
    assert AuditEntry.objects.filter(field="SMTP password", new_value="changed").exists()


def test_it_keeps_a_secret_when_the_box_is_left_blank(alice_client, contoso):
    configure_basic(alice_client, contoso)
    response = post(
        alice_client,
        contoso,
        use_smtp_auth="on",
        auth_type="basic",
        smtp_username="svc-notify",
        to_recipients="ops@contoso.test",
    )
    assert response.status_code == 302
    assert saved(contoso).smtp_password == SECRET


@pytest.mark.parametrize(
    "change",
    [
        {"smtp_host": "smtp.elsewhere.test"},
        {"port": "25"},
        {"ssl_enabled": None},
        {"smtp_username": "someone-else"},
    ],
)
def test_it_does_not_carry_a_secret_to_a_new_destination(alice_client, contoso, change):
    configure_basic(alice_client, contoso)
    data = {"use_smtp_auth": "on", "auth_type": "basic", "smtp_username": "svc-notify", **change}
    response = post(alice_client, contoso, **data)
    assert response.status_code == 200
    assert "the stored SMTP password is not carried over" in field_html(response, "smtp_password")
    assert saved(contoso).smtp_host == "smtp.contoso.test"
    assert saved(contoso).smtp_password == SECRET


def test_it_clears_a_secret_on_request(alice_client, contoso):
    configure_basic(alice_client, contoso)
    post(alice_client, contoso, use_smtp_auth=None, clear_smtp_password="on")
    assert saved(contoso).smtp_password == ""


def test_it_stores_oauth_secrets(alice_client, contoso):
    response = post(
        alice_client,
        contoso,
        use_smtp_auth="on",
        auth_type="oauth2",
        token_endpoint="https://login.microsoftonline.com/organizations/oauth2/v2.0/token",
        client_id="1111-2222",
        client_secret="client-secret-value",
        scope="https://outlook.office365.com/SMTP.Send",
        oauth_username="svc@contoso.test",
        oauth_password="oauth-password-value",
    )
    assert response.status_code == 302
    s = saved(contoso)
    assert (s.client_secret, s.oauth_password) == ("client-secret-value", "oauth-password-value")
    page = alice_client.get(URL.format(contoso.pk)).content.decode()
    assert "client-secret-value" not in page and "oauth-password-value" not in page
    response = post(
        alice_client,
        contoso,
        use_smtp_auth="on",
        auth_type="oauth2",
        token_endpoint="https://login.microsoftonline.com/organizations/oauth2/v2.0/token",
        client_id="other-app",
        scope="https://outlook.office365.com/SMTP.Send",
        oauth_username="svc@contoso.test",
    )
    page = response.content.decode()
    assert "the stored Client Secret is not carried over" in page
    assert "the stored Password is not carried over" in page


# --- Entra ID, Same as membership, audit, isolation -----------------------------------------
def test_it_offers_only_portals_linked_with_the_store(alice_client, contoso, portal):
    from identitystores.models import Portal

    Portal.objects.create(name="Other", url="https://other.test/")
    page = alice_client.get(URL.format(contoso.pk)).content.decode()
    assert "https://portal.contoso.test/" in page
    assert "https://other.test/" not in page


def test_it_accepts_no_portal_for_an_entra_id_store(client, bob, fabrikam, portal):
    portal.stores.add(fabrikam)
    client.force_login(bob)
    page = client.get(URL.format(fabrikam.pk)).content.decode()
    assert "cannot be created in a Microsoft Entra ID identity store" in page
    assert 'name="portal"' not in page
    response = post(client, fabrikam, portal=str(portal.pk))
    assert response.status_code == 302
    assert saved(fabrikam).portal is None


def test_it_rejects_a_portal_of_another_store(alice_client, contoso):
    from identitystores.models import Portal

    foreign = Portal.objects.create(name="Foreign", url="https://foreign.test/")
    response = post(alice_client, contoso, portal=str(foreign.pk))
    assert "Select a valid choice" in response.content.decode()


def test_it_applies_membership_options_when_same_as_membership(alice_client, contoso):
    post(alice_client, contoso, mb_on_added="on", mb_days_before_enabled="on", mb_days_before="9")
    post(
        alice_client,
        contoso,
        ml_on_join="on",
        ml_on_leave="on",
        ml_days_before_enabled="on",
        ml_days_before="3",
        mb_same_as_membership="on",
        mb_on_added=None,
        mb_days_before="abc",
    )
    s = saved(contoso)
    assert s.managed_by_options() == (True, True, 3)
    assert (s.mb_on_added, s.mb_days_before) == (True, 9)
    post(alice_client, contoso, mb_same_as_membership=None)
    assert saved(contoso).managed_by_options() == (False, False, None)


def test_it_records_who_changed_what(alice_client, contoso):
    post(alice_client, contoso)
    post(alice_client, contoso, port="465", notify_managers="on")
    entries = AuditEntry.objects.filter(store=contoso, action="notification settings changed")
    changes = {(e.field, e.old_value, e.new_value, e.actor_name) for e in entries}
    assert ("Port", "587", "465", "alice") in changes
    assert ("Manager(s) for their direct reports", "off", "on", "alice") in changes


def test_it_hides_other_stores(alice_client, fabrikam, bob):
    assert alice_client.get(URL.format(fabrikam.pk)).status_code == 404
    assert post(alice_client, fabrikam).status_code == 404
    assert not NotificationSettings.objects.filter(store=fabrikam).exists()
    assert "Fabrikam" not in alice_client.get("/identity-stores/").content.decode()


def test_it_lets_a_superuser_see_every_store(client, root, contoso, fabrikam):
    client.force_login(root)
    assert client.get(URL.format(fabrikam.pk)).status_code == 200
    page = client.get("/identity-stores/").content.decode()
    assert "Contoso AD" in page and "Fabrikam Entra" in page
