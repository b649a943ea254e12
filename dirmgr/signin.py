"""The sign-in page: one form and one view for local and directory sign-in.

The form puts an "Identity store" choice next to the user name and password. "Admin Center
account" signs in with a local account; a store signs in by binding to its directory
(ldapsync.auth.DirectoryBindBackend). On success the view keeps the typed credentials, encrypted,
in the session (identitystores/credentials.py) for SMTP with the acting admin's credentials.

The page is anonymous, so it names the stores and nothing else: no URL, host, base DN or bind DN
appears in the choices or in the "cannot be reached" error, whose detail goes to the server log
for the operator. Error reports never show the password: Django's LoginView hides the POST, and
the form and the credentials helpers hide their variables. Failed sign-ins are throttled by
django-axes (dirmgr/signin_throttle.py).

Stores whose Entra ID connection allows it also get a "Sign in with Microsoft" link: that flow
lives in entrasync/signin_views.py and signs in without a password.
"""

from __future__ import annotations

import logging

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.views.decorators.debug import sensitive_variables

from identitystores import credentials
from identitystores.models import IdentityStore
from ldapsync.auth import DirectoryUnavailable

log = logging.getLogger(__name__)
LOCAL = ""
USERNAME_MAX_LENGTH = 254  # a UPN or email address


def signin_stores() -> QuerySet[IdentityStore]:
    """Enabled stores whose directory connection allows sign-in, in the order they are offered."""
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


def microsoft_stores() -> QuerySet[IdentityStore]:
    """Enabled stores whose Entra ID connection allows "Sign in with Microsoft"."""
    return IdentityStore.objects.filter(
        enabled=True, entra_connection__signin_enabled=True
    ).order_by("name")


class SignInView(auth_views.LoginView):
    authentication_form = StoreSignInForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["microsoft_stores"] = microsoft_stores()
        return context

    @sensitive_variables("data")
    def form_valid(self, form: StoreSignInForm) -> HttpResponse:
        response = super().form_valid(form)
        data = form.cleaned_data
        credentials.keep_in_session(self.request, data["username"], data["password"])
        return response
