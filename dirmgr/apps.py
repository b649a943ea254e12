"""The project app: holds the sign-in throttling table and connects the session signal."""

from django.apps import AppConfig


class DirmgrConfig(AppConfig):
    name = "dirmgr"
    verbose_name = "Directory Manager"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .sessions import stamp_sign_in

        user_logged_in.connect(stamp_sign_in, dispatch_uid="dirmgr.sessions.stamp_sign_in")
