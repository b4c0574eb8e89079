from django.urls import path

from kefu.tickets import views

app_name = "tickets"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("new/", views.ticket_new, name="new"),
    path("bulk/", views.bulk_action, name="bulk"),
    path("approvals/", views.approvals, name="approvals"),
    path(
        "compensations/<int:pk>/decide/", views.compensation_decide_view, name="compensation-decide"
    ),
    path("macros/", views.macro_list, name="macros"),
    path("macros/new/", views.macro_edit, name="macro-new"),
    path("macros/<int:pk>/", views.macro_edit, name="macro-edit"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("<int:pk>/", views.ticket_detail, name="detail"),
    path("<int:pk>/reply/", views.ticket_reply, name="reply"),
    path("<int:pk>/update/", views.ticket_update_view, name="update"),
    path("<int:pk>/transition/", views.ticket_transition_view, name="transition"),
    path("<int:pk>/stage/", views.ticket_stage_view, name="stage"),
    path("<int:pk>/presence/", views.ticket_presence, name="presence"),
    path("<int:pk>/compensation/", views.compensation_new, name="compensation"),
    path("<int:pk>/3w/", views.three_w_report, name="three-w"),
    path("<int:pk>/ianar/", views.ianar_view, name="ianar"),
    path("<int:pk>/follow-ups/", views.follow_up_new, name="follow-up"),
    path(
        "<int:pk>/follow-ups/<int:follow_up_id>/done/",
        views.follow_up_done,
        name="follow-up-done",
    ),
    path("<int:pk>/opportunities/", views.opportunity_new, name="opportunity"),
    path("<int:pk>/links/", views.link_new, name="link"),
    path("<int:pk>/messages/<int:message_id>/split/", views.message_split, name="message-split"),
    path("<int:pk>/incident/", views.incident_attach_view, name="incident-attach"),
    path("<int:pk>/incident/broadcast/", views.incident_broadcast_view, name="incident-broadcast"),
    path("<int:pk>/incident/solve/", views.incident_solve_view, name="incident-solve"),
    path("<int:pk>/three-change/", views.three_change_view, name="three-change"),
    path("<int:pk>/contact-failed/", views.contact_failed_view, name="contact-failed"),
    path("<int:pk>/auto-assign/", views.auto_assign_view, name="auto-assign"),
]
