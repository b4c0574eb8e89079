from django.urls import path

from kefu.channels import views

app_name = "channels"
urlpatterns = [
    path("", views.home, name="home"),
    path("mailboxes/", views.mailbox_list, name="mailboxes"),
    path("mailboxes/new/", views.mailbox_edit, name="mailbox-create"),
    path("mailboxes/<int:mailbox_id>/", views.mailbox_edit, name="mailbox-edit"),
    path("inbound/", views.inbound_list, name="inbound"),
    path("inbound/<int:inbound_id>/", views.inbound_detail, name="inbound-detail"),
    path("inbound/<int:inbound_id>/raw/", views.inbound_raw, name="inbound-raw"),
    path("inbound/<int:inbound_id>/retry/", views.inbound_retry, name="inbound-retry"),
    path("outbound/", views.outbound_list, name="outbound"),
    path("outbound/<int:outbound_id>/retry/", views.outbound_retry, name="outbound-retry"),
    path("calls/", views.call_list, name="calls"),
    path("webhooks/", views.webhook_list, name="webhooks"),
    path("webhooks/new/", views.webhook_edit, name="webhook-create"),
    path("webhooks/<int:subscription_id>/", views.webhook_edit, name="webhook-edit"),
    path("webhooks/deliveries/", views.delivery_list, name="deliveries"),
    path(
        "webhooks/deliveries/<int:delivery_id>/replay/",
        views.delivery_replay,
        name="delivery-replay",
    ),
]
