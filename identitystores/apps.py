from django.apps import AppConfig


class IdentityStoresConfig(AppConfig):
    name = "identitystores"
    verbose_name = "Identity stores"
