from django.apps import AppConfig


class DirmgrConfig(AppConfig):
    name = "dirmgr"
    verbose_name = "Directory manager"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the deployment checks)
