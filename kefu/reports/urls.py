from django.urls import path

from kefu.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.home, name="home"),
    path("pivot/", views.pivot, name="pivot"),
    path("pivot/export.<str:fmt>", views.export, name="export"),
    path("pivot/drill/", views.drill, name="drill"),
    path("pivot/save/", views.save, name="save"),
    path("saved/", views.saved_list, name="saved"),
    path("saved/<int:pk>/delete/", views.saved_delete, name="saved_delete"),
    path("churn/", views.churn, name="churn"),
    path("churn/train/", views.churn_train, name="churn_train"),
    path("swot/", views.swot, name="swot"),
    path("swot/add/", views.swot_add, name="swot_add"),
    path("swot/<int:pk>/delete/", views.swot_delete, name="swot_delete"),
    path("swot/export.<str:fmt>", views.swot_export, name="swot_export"),
]
