from django.apps import AppConfig


class CatcherConfig(AppConfig):
    """A local SMTP catcher and the Mailbox page that shows what it received (a dev tool)."""

    name = "catcher"
    verbose_name = "Mail catcher"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system check)
