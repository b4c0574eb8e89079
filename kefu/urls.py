from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from kefu.api.api import api

admin.site.site_header = "Kefu 客服"
admin.site.site_title = "Kefu"

urlpatterns = [
    path("", include("kefu.core.urls")),
    path("accounts/", include("kefu.accounts.urls")),
    path("customers/", include("kefu.customers.urls")),
    path("tickets/", include("kefu.tickets.urls")),
    path("sla/", include("kefu.sla.urls")),
    path("channels/", include("kefu.channels.urls")),
    path("portal/", include("kefu.portal.urls")),
    path("s/", include("kefu.surveys.public_urls")),
    path("surveys/", include("kefu.surveys.urls")),
    path("knowledge/", include("kefu.knowledge.urls")),
    path("workforce/", include("kefu.workforce.urls")),
    path("analytics/", include("kefu.analytics.urls")),
    path("quality/", include("kefu.quality.urls")),
    path("reports/", include("kefu.reports.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

handler500 = "kefu.core.views.server_error"
