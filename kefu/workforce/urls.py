from django.urls import path

from kefu.workforce import ops_views, views

app_name = "workforce"
urlpatterns = [
    path("", views.home, name="home"),
    path("staffing/", views.staffing, name="staffing"),
    path("forecast/", views.forecast, name="forecast"),
    path("simulation/", views.simulation, name="simulation"),
    path("simulation/<int:run_id>/", views.simulation_run, name="simulation-run"),
    path("build-options/", views.build_options, name="build-options"),
    path("live/", ops_views.live_wall, name="live"),
    path("queues/", ops_views.queues, name="queues"),
    path("queues/new/", ops_views.queue_edit, name="queue-create"),
    path("queues/<int:queue_id>/", ops_views.queue_edit, name="queue-edit"),
    path("queues/<int:queue_id>/delete/", ops_views.queue_delete, name="queue-delete"),
    path("skills/", ops_views.skill_create, name="skill-create"),
    path("agent-skills/", ops_views.agent_skill_set, name="agent-skill-set"),
    path("presence/", ops_views.presence, name="presence"),
    path("presence/<str:state>/", ops_views.presence_quick, name="presence-quick"),
]
