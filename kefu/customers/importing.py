"""Importing customers, contacts and purchases from CSV (UTF-8, UTF-8-BOM, GB18030) or .xlsx.

Files are read as a stream and written in batches of 1,000 rows with bulk_create. Mode
"atomic" (default) writes nothing if any row fails; "valid_only" writes the valid rows. A dry
run checks everything and writes nothing. Errors name the row (as numbered in the file: the
header is row 1), the column and the reason, and can be downloaded as CSV.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.core.cache import cache
from django.core.files.base import File
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.audit import audit_record
from kefu.core.errors import NotAllowed, ValidationFailed
from kefu.core.tasks import enqueue
from kefu.customers.import_writers import (
    CONTACT_FIELDS,
    CUSTOMER_FIELDS,
    PURCHASE_FIELDS,
    write_contact_batch,
    write_customer_batch,
)
from kefu.customers.models import ImportJob, ImportKind, ImportMode, ImportStatus
from kefu.customers.purchases import PurchaseBulkResult, write_purchase_batch

BATCH_SIZE = 1_000
MAX_STORED_ERRORS = 10_000
SAMPLE_BYTES = 1 << 20

FIELDS_BY_KIND = {
    ImportKind.CUSTOMERS: CUSTOMER_FIELDS,
    ImportKind.CONTACTS: CONTACT_FIELDS,
    ImportKind.PURCHASES: PURCHASE_FIELDS,
}
WRITERS = {
    ImportKind.CUSTOMERS: write_customer_batch,
    ImportKind.CONTACTS: write_contact_batch,
    ImportKind.PURCHASES: write_purchase_batch,
}

# Column headings recognised without a mapping (English and Chinese).
ALIASES = {
    "客户编号": "number",
    "编号": "number",
    "customer number": "number",
    "姓名": "name",
    "名称": "name",
    "客户名称": "name",
    "类型": "kind",
    "企业": "organization",
    "企业客户": "organization",
    "公司": "organization",
    "organisation": "organization",
    "company": "organization",
    "客户等级": "tier",
    "等级": "tier",
    "地区": "region",
    "语言": "language",
    "备注": "notes",
    "标签": "tags",
    "手机": "mobile",
    "手机号": "mobile",
    "电话": "phone",
    "邮箱": "email",
    "电子邮件": "email",
    "e-mail": "email",
    "微信": "wechat",
    "微信号": "wechat",
    "地址": "address",
    "订单号": "external_id",
    "order id": "external_id",
    "来源": "source",
    "下单时间": "ordered_at",
    "日期": "ordered_at",
    "date": "ordered_at",
    "金额": "amount",
    "币种": "currency",
    "毛利": "gross_margin",
    "商品": "product",
    "产品": "product",
    "数量": "quantity",
    "渠道": "channel",
    "联系方式": "value",
    "联系方式类型": "kind",
}


# --- reading files ------------------------------------------------------------------------------


def detect_encoding(sample: bytes) -> str:
    """'utf-8-sig' with a BOM, 'utf-8' if the sample decodes as UTF-8, else 'gb18030'."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def is_xlsx(name: str, head: bytes) -> bool:
    return name.lower().endswith((".xlsx", ".xlsm")) or head.startswith(b"PK\x03\x04")


@dataclass
class TableReader:
    """The header and a row iterator of an uploaded table file."""

    header: list[str]
    rows: Iterator[list[Any]]
    encoding: str = ""


def open_table(stream: IO[bytes], name: str) -> TableReader:
    """Open a CSV or .xlsx byte stream; rows are yielded lazily, the file is not loaded at once."""
    stream = getattr(stream, "file", stream)  # a Django File wraps the real file object
    head = stream.read(SAMPLE_BYTES)
    stream.seek(0)
    if is_xlsx(name, head):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(stream, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:  # not a real .xlsx
            raise ValidationFailed(
                _("The file is not a readable Excel workbook."),
                fields={"file": _("The file is not a readable Excel workbook.")},
            ) from exc
        sheet = workbook.worksheets[0]
        values = sheet.iter_rows(values_only=True)
        header = [str(v).strip() if v is not None else "" for v in next(values, ())]
        return TableReader(header=header, rows=(list(r) for r in values), encoding="xlsx")
    encoding = detect_encoding(head)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    try:
        dialect = csv.Sniffer().sniff(head[:4096].decode(encoding, errors="ignore"), ",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(text, dialect)
    header = [h.strip() for h in next(reader, [])]
    return TableReader(header=header, rows=reader, encoding=encoding)


def default_mapping(header: list[str], kind: str) -> dict[str, str]:
    """Map each heading to a field when it names one (in English or Chinese), else to ''."""
    fields = FIELDS_BY_KIND[kind]
    mapping = {}
    for column in header:
        key = column.strip().lower()
        target = key.replace(" ", "_") if key.replace(" ", "_") in fields else ALIASES.get(key, "")
        if target == "number" and "customer_number" in fields:
            target = "customer_number"
        if key.startswith("attr:") and kind == ImportKind.CUSTOMERS:
            target = key
        mapping[column] = target if target in fields or target.startswith("attr:") else ""
    return mapping


def resolve_mapping(header: list[str], kind: str, mapping: Mapping[str, str]) -> dict[str, str]:
    """The default mapping overridden by `mapping` ({column: field}, '' to ignore a column)."""
    fields = FIELDS_BY_KIND[kind]
    resolved = default_mapping(header, kind)
    unknown_columns = [c for c in mapping if c not in header]
    bad_fields = [
        f for f in mapping.values() if f and f not in fields and not f.startswith("attr:")
    ]
    if unknown_columns or bad_fields:
        raise ValidationFailed(
            _("The column mapping does not fit the file."),
            fields={
                **{f"mapping.{c}": _("The file has no such column.") for c in unknown_columns},
                **{f"mapping.{f}": _("Unknown field.") for f in bad_fields},
            },
        )
    resolved.update({column: field for column, field in mapping.items()})
    return resolved


def mapped_rows(
    reader: TableReader, mapping: Mapping[str, str]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row number in the file, {field: value}) for every non-empty row; header is row 1."""
    columns = [(index, mapping.get(name, "")) for index, name in enumerate(reader.header)]
    columns = [(index, field) for index, field in columns if field]
    for number, row in enumerate(reader.rows, start=2):
        if not row or all(v is None or str(v).strip() == "" for v in row):
            continue
        values = {}
        for index, field in columns:
            value = row[index] if index < len(row) else None
            values[field] = value.strip() if isinstance(value, str) else value
        yield number, values


# --- running an import --------------------------------------------------------------------------


def _require_import(actor) -> None:
    if actor is not None and not actor.has_perm("customers.import_customers"):
        raise NotAllowed(_("You do not have permission to import."))


def import_job_create(
    *,
    actor,
    kind: str,
    upload: File | IO[bytes],
    mode: str = ImportMode.ATOMIC,
    dry_run: bool = False,
    mapping: Mapping[str, str] | None = None,
    name: str = "",
) -> ImportJob:
    """Store an uploaded file as a pending ImportJob."""
    _require_import(actor)
    if kind not in ImportKind.values:
        raise ValidationFailed(_("Unknown import kind."), fields={"kind": _("Unknown kind.")})
    if mode not in ImportMode.values:
        raise ValidationFailed(_("Unknown mode."), fields={"mode": _("Use atomic or valid_only.")})
    name = name or Path(getattr(upload, "name", "") or "upload.csv").name
    job = ImportJob(
        kind=kind,
        mode=mode,
        dry_run=dry_run,
        mapping=dict(mapping or {}),
        original_name=name[:255],
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    job.file.save(name, upload if isinstance(upload, File) else File(upload, name=name), save=False)
    job.save()
    audit_record(actor=actor, action="import.uploaded", obj=job)
    return job


def run_import(
    *,
    kind: str,
    stream: IO[bytes],
    name: str,
    mode: str = ImportMode.ATOMIC,
    dry_run: bool = False,
    mapping: Mapping[str, str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[PurchaseBulkResult, int, dict[str, str]]:
    """Import a table stream; returns (counts and errors, rows read, the mapping used).

    Everything happens in one transaction that is rolled back for a dry run, and in atomic
    mode as soon as the whole file has been checked and any row failed.
    """
    reader = open_table(stream, name)
    resolved = resolve_mapping(reader.header, kind, mapping or {})
    if not any(resolved.values()):
        raise ValidationFailed(
            _("No column of the file maps to a field; give a mapping."),
            fields={"mapping": _("Map at least one column.")},
        )
    writer = WRITERS[kind]
    total = PurchaseBulkResult(written=not dry_run)
    rows_read = 0
    with transaction.atomic():
        batch: list[tuple[int, dict[str, Any]]] = []
        for numbered in mapped_rows(reader, resolved):
            batch.append(numbered)
            if len(batch) == BATCH_SIZE:
                total.add(writer(batch, write=True))
                rows_read += len(batch)
                batch = []
                if progress:
                    progress(rows_read)
        if batch:
            total.add(writer(batch, write=True))
            rows_read += len(batch)
            if progress:
                progress(rows_read)
        if dry_run or (total.errors and mode == ImportMode.ATOMIC):
            transaction.set_rollback(True)
            total.written = False
    return total, rows_read, resolved


def import_job_run(*, actor, job: ImportJob, progress=None) -> ImportJob:
    """Run a pending job and store its counts and error report."""
    _require_import(actor)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)
    try:
        with job.file.open("rb") as stream:
            result, rows, resolved = run_import(
                kind=job.kind,
                stream=stream,
                name=job.original_name,
                mode=job.mode,
                dry_run=job.dry_run,
                mapping=job.mapping,
                progress=progress,
            )
    except ValidationFailed as exc:
        job.status, job.message = ImportStatus.FAILED, exc.message
        job.errors = [
            {"row": 1, "column": field.removeprefix("mapping."), "message": "; ".join(messages)}
            for field, messages in exc.fields.items()
        ]
        job.error_count = len(job.errors)
    except (UnicodeDecodeError, csv.Error, ValueError, KeyError, OSError) as exc:
        job.status = ImportStatus.FAILED
        job.message = _("The file could not be read: %s") % exc
    else:
        job.mapping = resolved
        job.total_rows = rows
        job.created_count, job.updated_count = result.created, result.updated
        job.skipped_count = result.unchanged
        job.error_count = len({e.row for e in result.errors})
        job.errors = [e.as_dict() for e in result.errors[:MAX_STORED_ERRORS]]
        if job.dry_run:
            job.status = ImportStatus.CHECKED
        elif result.written:
            job.status = ImportStatus.DONE
        else:
            job.status = ImportStatus.FAILED
            job.message = _("%(count)s rows are not valid; nothing was imported.") % {
                "count": job.error_count
            }
    job.finished_at = timezone.now()
    job.save()
    audit_record(
        actor=actor,
        action="import.finished",
        obj=job,
        changes={
            "status": [None, job.status],
            "created": [None, job.created_count],
            "updated": [None, job.updated_count],
            "errors": [None, job.error_count],
        },
    )
    return job


def import_progress(job: ImportJob) -> int:
    """Rows read so far by a running import (kept in the cache: the import's own transaction
    is not visible to other connections until it commits)."""
    return int(cache.get(_progress_key(job.pk), 0))


def _progress_key(job_id: int) -> str:
    return f"customers:import:{job_id}:rows"


@transaction.atomic
def import_job_configure(
    *, actor, job: ImportJob, mapping: Mapping[str, str], mode: str, dry_run: bool
) -> ImportJob:
    """Store the mapping and mode chosen on the check screen for the next run of `job`."""
    _require_import(actor)
    if mode not in ImportMode.values:
        raise ValidationFailed(_("Unknown mode."), fields={"mode": _("Use atomic or valid_only.")})
    if job.status == ImportStatus.DONE:
        raise ValidationFailed(_("This file was already imported."), code="already_imported")
    job.mapping = dict(mapping) or job.mapping
    job.mode = mode
    job.dry_run = dry_run
    job.save(update_fields=["mapping", "mode", "dry_run", "updated_at"])
    return job


def import_job_start(*, actor, job: ImportJob) -> ImportJob:
    """Check `job` at once (dry run), or queue the real import as a background task whose
    progress the import page shows; returns the job as it stands."""
    _require_import(actor)
    if job.dry_run:
        return import_job_run(actor=actor, job=job)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.PENDING)
    job.status = ImportStatus.PENDING
    cache.set(_progress_key(job.pk), 0, timeout=24 * 3600)
    from kefu.customers.tasks import import_job_task

    enqueue(import_job_task, job.pk, actor.pk)
    return job


def import_job_run_in_background(job_id: int, actor_id: int) -> None:
    """The task body: run the queued import once (a retry of a finished job does nothing)."""
    from kefu.accounts.models import User

    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.status not in (ImportStatus.PENDING, ImportStatus.RUNNING):
        return
    actor = User.objects.get(pk=actor_id)
    import_job_run(
        actor=actor,
        job=job,
        progress=lambda rows: cache.set(_progress_key(job_id), rows, timeout=24 * 3600),
    )


def error_report_rows(job: ImportJob) -> Iterator[list[Any]]:
    yield [_("Row"), _("Column"), _("Reason")]
    for error in job.errors:
        yield [error.get("row"), error.get("column"), error.get("message")]


def error_report_response(job: ImportJob) -> HttpResponse:
    """The job's errors as a CSV download (UTF-8 with BOM for Excel)."""
    from kefu.customers.exporting import neutralize_formula

    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    for row in error_report_rows(job):
        writer.writerow([neutralize_formula(v) for v in row])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response
