from django.contrib import admin

from kefu.reports.models import ChurnModelRun, CustomerRisk, SavedReport, SwotEntry


@admin.register(SavedReport)
class SavedReportAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "shared", "schedule", "next_run_at", "last_sent_at")
    list_filter = ("shared", "schedule")
    search_fields = ("name",)
    list_select_related = ("owner",)


@admin.register(ChurnModelRun)
class ChurnModelRunAdmin(admin.ModelAdmin):
    list_display = ("id", "as_of", "status", "horizon_days", "created_at")
    exclude = ("model_blob",)
    readonly_fields = ("metrics", "importance", "timings", "error")


@admin.register(CustomerRisk)
class CustomerRiskAdmin(admin.ModelAdmin):
    list_display = ("customer", "probability", "revenue_at_risk", "cluster")
    list_select_related = ("customer",)
    raw_id_fields = ("customer", "run")


@admin.register(SwotEntry)
class SwotEntryAdmin(admin.ModelAdmin):
    list_display = ("quadrant", "text", "author", "created_at")
    list_filter = ("quadrant",)
