from django.urls import path

from kefu.sla import views

app_name = "sla"
urlpatterns = [
    path("", views.home, name="home"),
    path("calendars/", views.calendar_list, name="calendars"),
    path("calendars/new/", views.calendar_edit, name="calendar-new"),
    path("calendars/<int:calendar_id>/", views.calendar_edit, name="calendar-edit"),
    path("calendars/<int:calendar_id>/import/", views.calendar_import, name="calendar-import"),
    path("policies/", views.policy_list, name="policies"),
    path("policies/new/", views.policy_edit, name="policy-new"),
    path("policies/<int:policy_id>/", views.policy_edit, name="policy-edit"),
    path("policies/<int:policy_id>/move/", views.policy_move, name="policy-move"),
    path("policies/<int:policy_id>/reapply/", views.policy_reapply, name="policy-reapply"),
    path("rules/", views.rule_list, name="rules"),
    path("rules/new/", views.rule_edit, name="rule-new"),
    path("rules/<int:rule_id>/", views.rule_edit, name="rule-edit"),
    path("report/", views.report, name="report"),
    path("tickets/<int:ticket_id>/breach-reason/", views.breach_reason, name="breach-reason"),
]
