from django.urls import path

from kefu.tickets import views

app_name = "tickets"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("new/", views.ticket_new, name="new"),
    path("approvals/", views.approvals, name="approvals"),
    path("<int:pk>/", views.ticket_detail, name="detail"),
    path("<int:pk>/reply/", views.ticket_reply, name="reply"),
    path("<int:pk>/update/", views.ticket_update_view, name="update"),
    path("<int:pk>/transition/", views.ticket_transition_view, name="transition"),
    path("<int:pk>/stage/", views.ticket_stage_view, name="stage"),
    path("<int:pk>/compensation/", views.compensation_new, name="compensation"),
    path("<int:pk>/3w/", views.three_w_report, name="three-w"),
    path(
        "compensations/<int:pk>/decide/", views.compensation_decide_view, name="compensation-decide"
    ),
    path("bulk/", views.bulk_action, name="bulk"),
]
