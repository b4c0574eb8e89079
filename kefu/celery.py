"""The Celery application used when KEFU_REDIS_URL is set (`kefu worker`, `kefu beat`)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")

app = Celery("kefu")
_redis_url = os.environ.get("KEFU_REDIS_URL", "redis://127.0.0.1:6379/0")
app.conf.update(
    broker_url=_redis_url,
    result_backend=_redis_url,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    timezone=os.environ.get("KEFU_TIME_ZONE", "Asia/Shanghai"),
)


@app.on_after_finalize.connect
def _register_kefu_tasks(sender, **kwargs):
    import django

    django.setup()
    from kefu.core.tasks import REGISTRY, celery_task_for, load_all_task_modules

    load_all_task_modules()
    for spec in REGISTRY.values():
        celery_task_for(spec)
    sender.conf.beat_schedule = {
        spec.name: {"task": spec.name, "schedule": float(spec.every_seconds)}
        for spec in REGISTRY.values()
        if spec.every_seconds
    }
