from django.urls import path

from kefu.customers import import_views, merge_views, views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("export/", views.customer_export, name="export"),
    path("<int:customer_id>/", views.customer_detail, name="detail"),
    path("<int:customer_id>/edit/", views.customer_edit, name="edit"),
    path("<int:customer_id>/data-export/", views.customer_data_export, name="data-export"),
    path("<int:customer_id>/erase/", views.customer_erase, name="erase"),
    path("<int:customer_id>/contacts/", views.contact_add, name="contact-add"),
    path(
        "<int:customer_id>/contacts/<int:contact_id>/remove/",
        views.contact_remove,
        name="contact-remove",
    ),
    path("<int:customer_id>/notes/", views.note_add, name="note-add"),
    path("<int:customer_id>/credit/", views.credit_rate, name="credit"),
    path("<int:customer_id>/merge/", merge_views.customer_merge, name="merge"),
    path("merges/<int:merge_id>/", merge_views.merge_detail, name="merge-detail"),
    path("merges/<int:merge_id>/undo/", merge_views.merge_undo, name="merge-undo"),
    path("import/", import_views.import_start, name="import"),
    path("imports/<int:job_id>/", import_views.import_detail, name="import-detail"),
    path("imports/<int:job_id>/run/", import_views.import_run, name="import-run"),
    path("imports/<int:job_id>/errors.csv", import_views.import_errors, name="import-errors"),
]
