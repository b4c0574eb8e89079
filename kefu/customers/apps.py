from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "kefu.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        # Grant this app's permissions to the roles, and register the built-in timeline sources.
        from kefu.customers import roles, timeline  # noqa: F401
