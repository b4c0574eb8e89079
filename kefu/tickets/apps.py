from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "kefu.tickets"
    label = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from kefu.customers.merge_registry import register_merge_target
        from kefu.tickets import roles, timeline  # noqa: F401  (permissions, timeline sources)

        register_merge_target("tickets.Ticket", "customer")
