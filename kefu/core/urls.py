from django.urls import path

from kefu.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("settings/", views.settings_home, name="settings"),
    path("settings/audit/", views.audit_log, name="audit-log"),
]
