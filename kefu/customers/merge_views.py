"""Merging duplicates: pick the duplicate, preview what moves, confirm; undo from the record."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core.errors import KefuError
from kefu.core.permissions import require_perm
from kefu.customers import selectors, services
from kefu.customers.merging import merge_preview_rows
from kefu.customers.models import Customer, MergeRecord

MERGE = "customers.merge_customer"


def customer_merge(request, customer_id: int):
    """GET: suggestions and a search; ?other=ID: the preview; POST: merge `other` into this one."""
    require_perm(request.user, MERGE)
    kept = get_object_or_404(Customer.objects.active(), pk=customer_id)
    other = None
    other_id = request.POST.get("other") or request.GET.get("other")
    if other_id and other_id.isdigit():
        other = get_object_or_404(Customer.objects.active().exclude(pk=kept.pk), pk=other_id)
    if request.method == "POST" and other is not None:
        try:
            record = services.customer_merge(actor=request.user, kept=kept, merged=other)
        except KefuError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("%(merged)s was merged into %(kept)s.") % {"merged": other, "kept": kept},
            )
            return redirect("customers:merge-detail", record.pk)
    q = request.GET.get("q", "").strip()
    results = (
        list(selectors.customer_search(q).exclude(pk=kept.pk).filter(kind=kept.kind)[:20])
        if q
        else []
    )
    return render(
        request,
        "customers/merge.html",
        {
            "kept": kept,
            "other": other,
            "preview": merge_preview_rows(kept=kept, merged=other) if other else None,
            "suggestions": selectors.duplicate_suggestions(kept),
            "results": results,
            "q": q,
            "show_pii": selectors.can_view_pii(request.user),
        },
    )


def merge_detail(request, merge_id: int):
    require_perm(request.user, "customers.view_customer")
    record = get_object_or_404(MergeRecord.objects.select_related("kept", "merged"), pk=merge_id)
    counts = {key: len(ids) for key, ids in record.moved.get("related", {}).items()}
    return render(request, "customers/merge_detail.html", {"record": record, "counts": counts})


@require_POST
def merge_undo(request, merge_id: int):
    require_perm(request.user, MERGE)
    record = get_object_or_404(MergeRecord, pk=merge_id)
    try:
        services.customer_merge_undo(actor=request.user, record=record)
    except KefuError as exc:
        messages.error(request, exc.message)
        return redirect("customers:merge-detail", record.pk)
    messages.success(request, _("The merge was undone."))
    return redirect("customers:detail", record.merged_id)
