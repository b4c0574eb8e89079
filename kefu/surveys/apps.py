from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "kefu.surveys"
    label = "surveys"
    verbose_name = _("Surveys")

    def ready(self) -> None:
        # Grant this app's permissions to the roles; register the tasks (dispatch of due surveys).
        from kefu.surveys import roles, tasks  # noqa: F401
