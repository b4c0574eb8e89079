"""Public survey links (/s/<token>/): no sign-in, the signed token is the key."""

app_name = "surveys_public"
urlpatterns: list = []
