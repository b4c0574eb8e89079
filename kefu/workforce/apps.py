from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkforceConfig(AppConfig):
    name = "kefu.workforce"
    label = "workforce"
    verbose_name = _("Workforce")

    def ready(self) -> None:
        # Grant this app's permissions to the roles; register the simulation task.
        from kefu.workforce import roles, tasks  # noqa: F401
