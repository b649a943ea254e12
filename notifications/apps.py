from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self) -> None:
        # Every recorded directory change is mailed: the directory announces, we listen.
        from . import listeners

        listeners.register()
