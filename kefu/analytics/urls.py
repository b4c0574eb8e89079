from django.urls import path

from kefu.analytics import views

app_name = "analytics"
urlpatterns = [
    path("", views.home, name="home"),
    path("segments/", views.segments, name="segments"),
    path("profitability/", views.profitability, name="profitability"),
    path("service/", views.service, name="service"),
    path("export/<slug:key>.xlsx", views.export, name="export"),
    path("refresh/", views.refresh, name="refresh"),
]
