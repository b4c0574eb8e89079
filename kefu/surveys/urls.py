from django.urls import path

from kefu.surveys import insight_views, views

app_name = "surveys"
urlpatterns = [
    path("", views.survey_list, name="list"),
    path("new/", views.survey_create, name="create"),
    path("loyalty/", insight_views.loyalty, name="loyalty"),
    path("waterfall/", insight_views.waterfall, name="waterfall"),
    path("gaps/", insight_views.gaps, name="gaps"),
    path("<int:survey_id>/", views.builder, name="builder"),
    path("<int:survey_id>/questions/new/", views.question_edit, name="question-add"),
    path("<int:survey_id>/questions/<int:question_id>/", views.question_edit, name="question-edit"),
    path(
        "<int:survey_id>/questions/<int:question_id>/move/",
        views.question_move,
        name="question-move",
    ),
    path(
        "<int:survey_id>/questions/<int:question_id>/delete/",
        views.question_delete,
        name="question-delete",
    ),
    path("<int:survey_id>/sections/new/", views.section_add, name="section-add"),
    path("<int:survey_id>/sections/<int:section_id>/", views.section_edit, name="section-edit"),
    path("<int:survey_id>/publish/", views.survey_status, {"action": "publish"}, name="publish"),
    path("<int:survey_id>/close/", views.survey_status, {"action": "close"}, name="close"),
    path("<int:survey_id>/copy/", views.survey_copy, name="copy"),
    path("<int:survey_id>/preview/", views.preview, name="preview"),
    path("<int:survey_id>/distribute/", views.distribute, name="distribute"),
    path("<int:survey_id>/results/", views.results, name="results"),
    path("<int:survey_id>/results.xlsx", views.results_export, name="export"),
]
