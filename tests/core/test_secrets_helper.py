"""core.secrets: the one destination-bound secret rule shared by the Notifications page and the
Directory connection page, and core.display, the one way a stored value reads as text."""

from django import forms

from core.crypto import Secret
from core.display import as_text
from core.secrets import BoundSecret, SecretField, ignore_white_space
from notifications.secret_bindings import APP_ONLY_CLIENT_SECRET, SECRETS, binding

SMTP = BoundSecret(
    ("smtp_host", "port"),
    when_blank="Enter the SMTP password.",
    when_moved="The server settings changed. Enter the SMTP password again.",
)
ORIGINAL = {"smtp_host": "mail.contoso.test", "port": 587, "smtp_password": "stored-pw"}


class OneSecret(forms.Form):
    password = SecretField("Password")


def test_it_never_renders_the_stored_value():
    form = OneSecret(initial={"password": "stored-pw"})
    rendered = str(form["password"])
    assert "stored-pw" not in rendered
    assert 'type="password"' in rendered and 'autocomplete="new-password"' in rendered
    assert form.fields["password"].label == "Password"


def test_it_cleans_to_a_secret_with_a_masked_repr_and_keeps_white_space():
    form = OneSecret(data={"password": " typed pw "})
    assert form.is_valid()
    value = form.cleaned_data["password"]
    assert isinstance(value, Secret) and value == " typed pw "
    assert "typed" not in repr(value) and "typed" not in repr(form.cleaned_data)


def test_it_treats_a_blank_box_as_optional():
    form = OneSecret(data={"password": ""})
    assert form.is_valid() and form.cleaned_data["password"] == ""


def test_it_refuses_a_secret_over_4096_characters():
    assert not OneSecret(data={"password": "x" * 4097}).is_valid()


def test_it_keeps_the_stored_secret_while_the_destination_is_unchanged():
    data = {"smtp_host": "mail.contoso.test", "port": 587}
    assert SMTP.after_save("", "stored-pw", ORIGINAL, data) == "stored-pw"
    assert not SMTP.moved(ORIGINAL, data)


def test_it_prefers_the_typed_secret():
    data = {"smtp_host": "evil.test", "port": 587}
    assert SMTP.after_save("typed", "stored-pw", ORIGINAL, data) == "typed"
    assert SMTP.after_save("typed", "stored-pw", ORIGINAL, data, clear=True) == "typed"


def test_it_drops_the_stored_secret_when_a_bound_field_changes():
    data = {"smtp_host": "evil.test", "port": 587}
    assert SMTP.changed(ORIGINAL, data) == ["smtp_host"]
    assert SMTP.after_save("", "stored-pw", ORIGINAL, data) == ""
    assert SMTP.message("stored-pw", ORIGINAL, data) == SMTP.when_moved


def test_it_drops_the_stored_secret_when_asked_to_clear_it():
    data = {"smtp_host": "mail.contoso.test", "port": 587}
    assert SMTP.after_save("", "stored-pw", ORIGINAL, data, clear=True) == ""
    assert SMTP.message("stored-pw", ORIGINAL, data) == SMTP.when_blank


def test_it_counts_a_field_that_failed_its_own_validation_as_unchanged():
    assert SMTP.after_save("", "stored-pw", ORIGINAL, {"port": 587}) == "stored-pw"


def test_it_asks_for_a_secret_that_was_never_stored_without_mentioning_a_change():
    data = {"smtp_host": "evil.test", "port": 25}
    assert SMTP.after_save("", "", ORIGINAL, data) == ""
    assert SMTP.message("", ORIGINAL, data) == "Enter the SMTP password."


def test_it_compares_exactly_unless_told_to_ignore_white_space():
    original = {"urls": "ldaps://a.test ldaps://b.test", "pem": "A\nB"}
    data = {"urls": "ldaps://a.test  ldaps://b.test", "pem": "A\r\nB"}
    exact = BoundSecret(("urls", "pem"), when_blank="", when_moved="")
    loose = BoundSecret(("urls", "pem"), when_blank="", when_moved="", normalise=ignore_white_space)
    assert exact.changed(original, data) == ["urls", "pem"]
    assert loose.after_save("", "stored", original, data) == "stored"
    assert loose.moved(original, {**data, "urls": "ldaps://c.test"})


def test_it_explains_a_named_change_in_its_own_words():
    bound = BoundSecret(
        ("smtp_host", "from_email"),
        when_blank="blank",
        when_moved="moved",
        reasons={"from_email": "from changed"},
    )
    original = {"smtp_host": "a.test", "from_email": "x@a.test"}
    assert bound.message("pw", original, {"smtp_host": "b.test", "from_email": "x@a.test"}) == (
        "moved"
    )
    assert bound.message("pw", original, {"smtp_host": "b.test", "from_email": "y@a.test"}) == (
        "from changed"
    )


def test_an_app_only_client_secret_is_bound_to_the_from_address():
    assert binding("client_secret", {"oauth_username": ""}) is APP_ONLY_CLIENT_SECRET
    assert "from_email" in APP_ONLY_CLIENT_SECRET.bound_to
    delegated = binding("client_secret", {"oauth_username": "svc@contoso.test"})
    assert delegated is SECRETS["client_secret"] and "from_email" not in delegated.bound_to


def test_a_delegated_client_secret_is_not_explained_as_app_only():
    original = {
        "smtp_host": "a.test", "port": 587, "ssl_enabled": True, "auth_type": "oauth2",
        "token_endpoint": "https://a.test/token", "client_id": "1", "from_email": "x@a.test",
        "oauth_username": "svc@a.test",
    }  # fmt: skip
    data = {**original, "smtp_host": "b.test", "from_email": "y@a.test"}
    message = binding("client_secret", data).message("stored", original, data)
    assert message.startswith("The server settings changed, so the stored Client Secret")


def test_as_text_reads_blanks_and_booleans_as_asked():
    assert as_text(None) == "" and as_text("") == ""
    assert as_text(True) == "yes" and as_text(False) == "no"
    assert as_text(0) == "0" and as_text(25) == "25"
    assert as_text(None, blank="—") == "—"
    assert as_text(False, true="on", false="off") == "off"
