"""The project app: holds the sign-in throttling table, connects the session signal and checks
the trusted-proxy settings at start."""

from django.apps import AppConfig


class DirmgrConfig(AppConfig):
    name = "dirmgr"
    verbose_name = "Directory Manager"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.core import checks

        from .client_address import check_proxy_settings
        from .sessions import stamp_sign_in

        user_logged_in.connect(stamp_sign_in, dispatch_uid="dirmgr.sessions.stamp_sign_in")
        checks.register(check_proxy_settings)
