from django.urls import path

from kefu.knowledge import kb_views, problem_views, views

app_name = "knowledge"
urlpatterns = [
    path("", views.article_list, name="list"),
    path("new/", views.article_create, name="create"),
    path("review/", views.review_queue, name="review"),
    path("synonyms/", views.synonym_list, name="synonyms"),
    path("synonyms/<int:synonym_id>/delete/", views.synonym_delete, name="synonym-delete"),
    path("<int:article_id>/", views.article_detail, name="detail"),
    path("<int:article_id>/edit/", views.article_edit, name="edit"),
    path("<int:article_id>/state/", views.article_transition, name="transition"),
    path("<int:article_id>/versions/", views.article_versions, name="versions"),
    path(
        "<int:article_id>/versions/<int:number>/restore/",
        views.article_restore,
        name="restore",
    ),
    path("<int:article_id>/attachments/", views.attachment_add, name="attachment-add"),
    path("attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path(
        "attachments/<int:attachment_id>/remove/",
        views.attachment_remove,
        name="attachment-remove",
    ),
    path("tickets/<int:ticket_id>/use/", views.ticket_use, name="ticket-use"),
    path("problems/", problem_views.problem_list, name="problems"),
    path("problems/<int:problem_id>/", problem_views.problem_detail, name="problem-detail"),
    path("problems/<int:problem_id>/edit/", problem_views.problem_edit, name="problem-edit"),
    path(
        "problems/<int:problem_id>/publish/",
        problem_views.problem_publish,
        name="problem-publish",
    ),
    path("kb/", kb_views.kb_home, name="kb"),
    path("kb/<int:article_id>/", kb_views.kb_article, name="kb-article"),
    path("kb/<int:article_id>/feedback/", kb_views.kb_feedback, name="kb-feedback"),
]
