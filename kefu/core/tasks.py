"""One small interface for background work, used by every app.

    from kefu.core.tasks import task, enqueue

    @task(name="sla.sweep", every_seconds=60)
    def sla_sweep() -> int: ...

    enqueue(sla_sweep)            # after the current transaction commits

With KEFU_REDIS_URL unset, tasks run in-process: on a background thread in `kefu serve`, or at
once when KEFU_TASKS_EAGER is on (tests). With KEFU_REDIS_URL set, they are Celery tasks on Redis
(`kefu worker`, `kefu beat`). Tasks must be idempotent: a retry or a second worker may run
them again.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connections, transaction

log = logging.getLogger(__name__)


@dataclass
class TaskSpec:
    name: str
    func: Callable[..., Any]
    every_seconds: int | None = None
    max_retries: int = 3
    retry_backoff_s: int = 30
    celery_task: Any = field(default=None, repr=False)

    def __call__(self, *args, **kwargs):
        return self.func(*args, **kwargs)


REGISTRY: dict[str, TaskSpec] = {}


def task(*, name: str, every_seconds: int | None = None, max_retries: int = 3):
    """Register a function as a background task (and as a periodic one with `every_seconds`)."""

    def decorate(func: Callable[..., Any]) -> TaskSpec:
        if name in REGISTRY and REGISTRY[name].func is not func:
            raise ValueError(f"task name {name!r} is registered twice")
        spec = TaskSpec(name=name, func=func, every_seconds=every_seconds, max_retries=max_retries)
        REGISTRY[name] = spec
        return spec

    return decorate


def uses_celery() -> bool:
    return bool(settings.KEFU_REDIS_URL)


def backend_name() -> str:
    if uses_celery():
        return "celery"
    return "eager" if settings.KEFU_TASKS_EAGER else "in-process"


def enqueue(spec: TaskSpec, *args, **kwargs) -> None:
    """Run `spec` in the background once the surrounding transaction (if any) commits."""
    transaction.on_commit(lambda: _dispatch(spec, args, kwargs))


def celery_task_for(spec: TaskSpec):
    """Return (registering on first use) the Celery task that runs `spec`."""
    if spec.celery_task is None:
        from kefu.celery import app

        spec.celery_task = app.task(
            name=spec.name,
            autoretry_for=(Exception,),
            max_retries=spec.max_retries,
            retry_backoff=spec.retry_backoff_s,
            acks_late=True,
        )(spec.func)
    return spec.celery_task


def load_all_task_modules() -> None:
    """Import every installed Kefu app's tasks.py so that REGISTRY is complete."""
    from importlib import import_module
    from importlib.util import find_spec

    from django.apps import apps

    for config in apps.get_app_configs():
        module = f"{config.name}.tasks"
        if config.name.startswith("kefu.") and find_spec(module) is not None:
            import_module(module)


def _dispatch(spec: TaskSpec, args: tuple, kwargs: dict):
    if uses_celery():
        return celery_task_for(spec).apply_async(args=args, kwargs=kwargs)
    elif settings.KEFU_TASKS_EAGER:
        run_with_retries(spec, args, kwargs)
    else:
        _in_process_queue().put((spec, args, kwargs))


def retry_delay(spec: TaskSpec, attempt: int) -> float:
    """Seconds before retry number `attempt` (1, 2, …): exponential backoff, capped at 10 min —
    the same schedule Celery uses for the task (`retry_backoff`), without its jitter."""
    return float(min(spec.retry_backoff_s * 2 ** (attempt - 1), 600))


def _drop_broken_connections() -> None:
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:  # never under a caller's transaction
            conn.close_if_unusable_or_obsolete()


def run_with_retries(spec: TaskSpec, args: tuple, kwargs: dict, *, sleep=None) -> Any:
    """Run a task in this process, retrying up to `max_retries` times on an exception.

    Between attempts it waits (exponential backoff; not in eager mode, where tests run tasks
    inline) and drops a database connection that broke, so a retry after the database comes
    back reconnects instead of failing on the dead connection.
    """
    import time

    if sleep is None:
        sleep = (lambda _seconds: None) if settings.KEFU_TASKS_EAGER else time.sleep
    for attempt in range(spec.max_retries + 1):
        try:
            return spec.func(*args, **kwargs)
        except Exception:
            log.exception("task %s failed (attempt %d)", spec.name, attempt + 1)
            if attempt == spec.max_retries:
                raise
            _drop_broken_connections()
            sleep(retry_delay(spec, attempt + 1))
    return None


_queue: queue.Queue | None = None
_lock = threading.Lock()


def _in_process_queue() -> queue.Queue:
    global _queue
    with _lock:
        if _queue is None:
            _queue = queue.Queue()
            threading.Thread(target=_worker_loop, args=(_queue,), daemon=True).start()
    return _queue


def _worker_loop(q: queue.Queue) -> None:
    while True:
        spec, args, kwargs = q.get()
        try:
            run_with_retries(spec, args, kwargs)
        except Exception:
            pass  # already logged; the periodic schedule or a retry path picks the work up again
        finally:
            close_old_connections()
            q.task_done()


def start_in_process_scheduler(stop: threading.Event) -> threading.Thread:
    """Run every periodic task on its interval in a background thread (embedded mode)."""
    import time

    def loop():
        next_run = {name: 0.0 for name, spec in REGISTRY.items() if spec.every_seconds}
        while not stop.is_set():
            now = time.monotonic()
            for name, due in next_run.items():
                if now >= due:
                    spec = REGISTRY[name]
                    _in_process_queue().put((spec, (), {}))
                    next_run[name] = now + spec.every_seconds
            stop.wait(1.0)

    thread = threading.Thread(target=loop, daemon=True, name="kefu-scheduler")
    thread.start()
    return thread


def queue_status() -> dict[str, Any]:
    """Report the task backend and whether it is reachable (for /api/v1/health)."""
    if not uses_celery():
        return {"backend": backend_name(), "ok": True}
    try:
        import redis

        redis.Redis.from_url(settings.KEFU_REDIS_URL, socket_timeout=2).ping()
        return {"backend": "celery", "ok": True}
    except Exception as exc:  # report, don't raise: health must answer
        return {"backend": "celery", "ok": False, "error": type(exc).__name__}


@task(name="core.ping")
def ping(value: int = 1) -> int:
    """A trivial task that proves the queue works end to end."""
    return value + 1
