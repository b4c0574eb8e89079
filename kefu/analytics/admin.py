"""Admin: the analytics settings (saved through the audited service) and read-only runs."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from kefu.analytics import services
from kefu.analytics.models import AnalyticsRun, AnalyticsSettings
from kefu.core.errors import KefuError


class AnalyticsSettingsForm(forms.ModelForm):
    class Meta:
        model = AnalyticsSettings
        fields = services.SETTINGS_FIELDS

    def clean(self):
        data = super().clean()
        values = {name: data.get(name) for name in services.SETTINGS_FIELDS}
        try:
            services.validate_settings(values)
        except KefuError as exc:
            for field, errors in exc.fields.items():
                for message in errors:
                    self.add_error(field if field in self.fields else None, message)
        return data


@admin.register(AnalyticsSettings)
class AnalyticsSettingsAdmin(admin.ModelAdmin):
    form = AnalyticsSettingsForm
    list_display = ("__str__", "tier_cutoffs", "tier_basis", "discount_rate", "horizon_weeks")
    fields = services.SETTINGS_FIELDS
    readonly_fields = ()

    def has_add_permission(self, request) -> bool:
        return not AnalyticsSettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.save()
            return
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.analytics_settings_update(
                actor=request.user, expected_version=obj.version, changes=changes
            )
        except KefuError as exc:
            self.message_user(request, f"{exc.message} {exc.fields}", level=messages.ERROR)


@admin.register(AnalyticsRun)
class AnalyticsRunAdmin(admin.ModelAdmin):
    list_display = ("id", "as_of", "status", "started_by", "started_at", "finished_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in AnalyticsRun._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
