"""The sign-in form: an "Identity store" choice next to the user name and password. "Admin Center
account" signs in with a local account; a store signs in by binding to its directory.

The page is anonymous, so it names the stores and nothing else: no URL, host, base DN or bind DN
appears in the choices or in the "cannot be reached" error, whose detail goes to the server log
for the operator."""

from __future__ import annotations

import logging

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.views.decorators.debug import sensitive_variables

from identitystores.models import IdentityStore

from .auth import DirectoryUnavailable

log = logging.getLogger(__name__)
LOCAL = ""
USERNAME_MAX_LENGTH = 254  # a UPN or email address


def signin_stores():
    return IdentityStore.objects.filter(
        enabled=True, ldap_connection__signin_enabled=True
    ).order_by("name")


class StoreSignInForm(AuthenticationForm):
    store = forms.ChoiceField(label="Identity store", required=False)

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["store"].choices = [(LOCAL, "Admin Center account")] + [
            (str(s.pk), s.name) for s in signin_stores()
        ]
        self.order_fields(["store", "username", "password"])
        # AuthenticationForm sets max_length after the field is built, so nothing enforces it;
        # an overlong name would reach the lockout table (255 characters) and fail there.
        self.fields["username"].validators.append(MaxLengthValidator(USERNAME_MAX_LENGTH))

    @sensitive_variables("password")
    def clean(self):
        store_id = self.cleaned_data.get("store") or LOCAL
        if store_id == LOCAL:
            return super().clean()
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not username or not password:
            return self.cleaned_data
        store = signin_stores().get(pk=store_id)
        try:
            self.user_cache = authenticate(
                self.request, username=username, password=password, store=store
            )
        except DirectoryUnavailable as exc:
            log.warning("Directory sign-in to store %s failed: %s", store.pk, exc)
            raise forms.ValidationError(
                f"{store.name} cannot be reached, so directory sign-in is not possible right "
                "now. Try again later, or sign in with an Admin Center account.",
                code="directory_unavailable",
            ) from None
        if self.user_cache is None:
            raise self.get_invalid_login_error()
        self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data
