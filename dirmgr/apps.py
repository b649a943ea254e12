"""The project app: holds the sign-in throttling table, connects the session signal and
registers the deployment, trusted-proxy and old CA-bundle name checks at start."""

from django.apps import AppConfig


class DirmgrConfig(AppConfig):
    name = "dirmgr"
    verbose_name = "Directory Manager"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.core import checks as django_checks

        from core.tls import legacy_ca_bundle

        from . import checks  # noqa: F401  (registers the deployment checks)
        from .client_address import check_proxy_settings
        from .sessions import stamp_sign_in

        user_logged_in.connect(stamp_sign_in, dispatch_uid="dirmgr.sessions.stamp_sign_in")
        django_checks.register(check_proxy_settings)
        django_checks.register(legacy_ca_bundle)
