from django.apps import AppConfig


class EntrasyncConfig(AppConfig):
    name = "entrasync"
    verbose_name = "Microsoft Entra ID sync"

    def ready(self) -> None:
        # Admin Center changes to a synced Entra ID object go to Microsoft Graph first.
        from directory.hooks import register_writer

        from .writer import writer_for

        register_writer(writer_for)
