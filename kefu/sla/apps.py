from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "kefu.sla"
    label = "sla"
    verbose_name = _("Service commitments")

    def ready(self) -> None:
        # Grant this app's permissions to the roles; register the periodic sweep.
        from kefu.sla import roles, tasks  # noqa: F401
