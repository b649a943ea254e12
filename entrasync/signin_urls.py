"""Sign in with Microsoft: no namespace, like Django's own `login` and `logout`."""

from django.urls import path

from . import signin_views

urlpatterns = [
    path("login/microsoft/callback/", signin_views.callback, name="entra_signin_callback"),
    path("login/microsoft/<id:signin_store>/", signin_views.start, name="entra_signin_start"),
]
