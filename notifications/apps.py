from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self) -> None:
        # Every recorded directory change is mailed: the directory announces, we listen.
        from . import listeners

        listeners.register()
        # The Identity Stores list flags stores whose delivery is failing.
        from identitystores import store_flags

        from .delivery_health import failing_store_flags

        store_flags.register(failing_store_flags)
