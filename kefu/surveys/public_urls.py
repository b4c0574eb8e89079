"""Public survey links (/s/<token>/): no sign-in, the signed token is the key."""

from django.urls import path

from kefu.surveys import public_views

app_name = "surveys_public"
urlpatterns = [path("<str:token>/", public_views.answer, name="answer")]
