app_name = "sla"
urlpatterns: list = []
