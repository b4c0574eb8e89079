from django.contrib import admin

from kefu.portal.models import PortalAccess, ResolutionRating


@admin.register(PortalAccess)
class PortalAccessAdmin(admin.ModelAdmin):
    list_display = ("customer", "sees_organisation_tickets", "updated_at")
    list_filter = ("sees_organisation_tickets",)
    raw_id_fields = ("customer",)

    def save_model(self, request, obj, form, change):
        from kefu.portal.services import portal_access_set

        portal_access_set(
            actor=request.user,
            customer=obj.customer,
            sees_organisation_tickets=obj.sees_organisation_tickets,
        )


@admin.register(ResolutionRating)
class ResolutionRatingAdmin(admin.ModelAdmin):
    list_display = ("ticket", "score", "confirmed", "rated_by", "created_at")
    list_filter = ("score", "confirmed")
    raw_id_fields = ("ticket", "rated_by")

    def has_change_permission(self, request, obj=None):
        return False  # a customer's rating is theirs; staff read it
