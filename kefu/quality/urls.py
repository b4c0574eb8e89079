from django.urls import path

from kefu.quality import views

app_name = "quality"
urlpatterns = [
    path("", views.home, name="home"),
    path("kpis/tickets/", views.drill, name="drill"),
    path("evaluations/", views.evaluations, name="evaluations"),
    path("evaluations/<int:pk>/", views.evaluation_detail, name="evaluation"),
    path("evaluate/", views.evaluate, name="evaluate"),
    path("evaluate/ticket/<int:ticket_id>/", views.evaluation_for_ticket, name="evaluate-ticket"),
    path("scorecards/", views.rubrics, name="rubrics"),
    path("scorecards/new/", views.rubric_new, name="rubric-new"),
    path("scorecards/<int:pk>/", views.rubric_detail, name="rubric"),
    path("scorecards/<int:pk>/edit/", views.rubric_edit, name="rubric-edit"),
    path("calibration/", views.calibrations, name="calibrations"),
    path("calibration/<int:pk>/", views.calibration_detail, name="calibration"),
    path("mystery/", views.mystery, name="mystery"),
    path("targets/", views.targets, name="targets"),
    path("actions/", views.actions, name="actions"),
    path("people/", views.people_view, name="people"),
]
