"""Import screens: upload → check (dry run) with the column mapping and error table → import."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core.errors import KefuError
from kefu.core.permissions import require_perm
from kefu.customers import importing
from kefu.customers.forms import ImportUploadForm
from kefu.customers.models import ImportJob, ImportStatus

IMPORT = "customers.import_customers"


def import_start(request):
    require_perm(request.user, IMPORT)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = importing.import_job_create(
                actor=request.user,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                mode=form.cleaned_data["mode"],
                dry_run=True,
            )
            importing.import_job_run(actor=request.user, job=job)
        except KefuError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("customers:import-detail", job.pk)
    jobs = ImportJob.objects.select_related("created_by").order_by("-id")[:10]
    return render(request, "customers/import.html", {"form": form, "jobs": jobs})


def import_detail(request, job_id: int):
    require_perm(request.user, IMPORT)
    job = get_object_or_404(ImportJob, pk=job_id)
    fields = importing.FIELDS_BY_KIND[job.kind]
    return render(
        request,
        "customers/import_detail.html",
        {
            "job": job,
            "fields": fields,
            "errors": job.errors[:200],
            "can_import": job.status == ImportStatus.CHECKED
            and (job.error_count == 0 or job.mode == "valid_only"),
            "in_progress": job.status in (ImportStatus.PENDING, ImportStatus.RUNNING),
            "rows_read": importing.import_progress(job),
        },
    )


@require_POST
def import_run(request, job_id: int):
    """Re-check with the posted mapping (action=check), or import for real (action=import)."""
    require_perm(request.user, IMPORT)
    job = get_object_or_404(ImportJob, pk=job_id)
    if job.status == ImportStatus.DONE:
        messages.info(request, _("This file was already imported."))
        return redirect("customers:import-detail", job.pk)
    mapping = {
        key.removeprefix("map:"): value
        for key, value in request.POST.items()
        if key.startswith("map:")
    }
    try:
        job = importing.import_job_configure(
            actor=request.user,
            job=job,
            mapping=mapping,
            mode=request.POST.get("mode", job.mode),
            dry_run=request.POST.get("action") != "import",
        )
        job = importing.import_job_start(actor=request.user, job=job)
    except KefuError as exc:
        messages.error(request, exc.message)
        return redirect("customers:import-detail", job.pk)
    job.refresh_from_db()
    if job.status == ImportStatus.DONE:
        messages.success(
            request,
            _("Imported: %(created)s created, %(updated)s updated, %(errors)s rows skipped.")
            % {
                "created": job.created_count,
                "updated": job.updated_count,
                "errors": job.error_count,
            },
        )
    return redirect("customers:import-detail", job.pk)


def import_errors(request, job_id: int):
    require_perm(request.user, IMPORT)
    return importing.error_report_response(get_object_or_404(ImportJob, pk=job_id))
