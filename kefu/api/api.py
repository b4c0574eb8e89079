"""The one NinjaAPI at /api/v1/: each app contributes the router in its api.py."""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.db import connection
from ninja import NinjaAPI, Schema
from ninja.responses import Status

from kefu.api.errors import install_error_handlers
from kefu.api.security import AUTH
from kefu.core.tasks import queue_status

api = NinjaAPI(
    title="Kefu API",
    version="1",
    description="Customer service management: customers, tickets, SLAs, channels, surveys, "
    "workforce and analytics. Every list is paged with ?limit=&offset=; every error is "
    '`{"error": {"code", "message", "fields"}}`.',
    auth=AUTH,
    urls_namespace="api",
)
install_error_handlers(api)


class HealthOut(Schema):
    status: str
    database: dict
    tasks: dict


@api.get("/health", auth=None, response={200: HealthOut, 503: HealthOut}, tags=["system"])
def health(request):
    """Liveness and readiness: the database and the task queue."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = {"ok": True, "vendor": connection.vendor}
    except Exception as exc:
        database = {"ok": False, "vendor": connection.vendor, "error": type(exc).__name__}
    tasks = queue_status()
    ok = database["ok"] and tasks["ok"]
    body = {"status": "ok" if ok else "degraded", "database": database, "tasks": tasks}
    return Status(200 if ok else 503, body)


def _mount_app_routers() -> None:
    for config in apps.get_app_configs():
        module_name = f"{config.name}.api"
        if config.name.startswith("kefu.") and find_spec(module_name) is not None:
            module = import_module(module_name)
            for prefix, router in getattr(module, "ROUTERS", []):
                api.add_router(prefix, router)


_mount_app_routers()
