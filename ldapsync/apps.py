from django.apps import AppConfig


class LdapsyncConfig(AppConfig):
    name = "ldapsync"
    verbose_name = "LDAP / Active Directory sync"

    def ready(self) -> None:
        # Admin Center changes to a synced LDAP object go to the directory first.
        from directory.hooks import register_writer

        from .writer import writer_for

        register_writer(writer_for)
