from django.apps import AppConfig


class LifecycleConfig(AppConfig):
    """Scheduled life-cycle jobs: temporary memberships, temporary owners and managers,
    attestation removals and the password-expiry group."""

    name = "lifecycle"
    verbose_name = "Life cycle"

    def ready(self) -> None:
        from . import signals  # noqa: F401 - connects the store receivers
