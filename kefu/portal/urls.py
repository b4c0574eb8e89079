from django.urls import path

from kefu.portal import link_views, signin_views, views

app_name = "portal"
urlpatterns = [
    path("", views.request_list, name="home"),
    path("new/", views.request_new, name="new"),
    path("r/<int:ticket_id>/", views.request_detail, name="detail"),
    path("r/<int:ticket_id>/reply/", views.request_reply, name="reply"),
    path("r/<int:ticket_id>/rate/", views.request_rate, name="rate"),
    path(
        "r/<int:ticket_id>/files/<int:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
    path("login/", signin_views.login_view, name="login"),
    path("logout/", signin_views.logout_view, name="logout"),
    path("magic/<str:token>/", signin_views.magic_view, name="magic"),
    path("t/<str:token>/", link_views.status_page, name="status"),
    path(
        "t/<str:token>/files/<int:attachment_id>/",
        link_views.status_attachment,
        name="status-file",
    ),
]
