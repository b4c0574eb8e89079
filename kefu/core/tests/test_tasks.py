"""The task interface: eager (tests), in-process thread (embedded) and Celery on the local Redis."""

import socket
import threading

import pytest
from django.db import transaction

from kefu.core import tasks

RESULTS: list = []


@tasks.task(name="tests.record", max_retries=2)
def record(value):
    RESULTS.append(value)
    return value


_failures = {"left": 0}


@tasks.task(name="tests.flaky", max_retries=2)
def flaky(value):
    if _failures["left"] > 0:
        _failures["left"] -= 1
        raise RuntimeError("transient")
    RESULTS.append(value)


@pytest.fixture(autouse=True)
def _clear():
    RESULTS.clear()


def test_registry_refuses_a_duplicate_name():
    with pytest.raises(ValueError):
        tasks.task(name="tests.record")(lambda: None)


@pytest.mark.django_db(transaction=True)
def test_eager_runs_after_commit_only():
    with transaction.atomic():
        tasks.enqueue(record, 1)
        assert RESULTS == []  # not before the transaction commits
    assert RESULTS == [1]


@pytest.mark.django_db(transaction=True)
def test_rolled_back_work_never_runs():
    with pytest.raises(RuntimeError), transaction.atomic():
        tasks.enqueue(record, 2)
        raise RuntimeError("boom")
    assert RESULTS == []


@pytest.mark.django_db(transaction=True)
def test_retries_transient_failures():
    _failures["left"] = 2
    tasks.enqueue(flaky, 3)
    assert RESULTS == [3]


@pytest.mark.django_db(transaction=True)
def test_in_process_thread_runs_the_task(settings):
    settings.KEFU_TASKS_EAGER = False
    done = threading.Event()

    @tasks.task(name="tests.signal")
    def signal():
        done.set()

    tasks.enqueue(signal)
    assert done.wait(5), "the in-process worker thread did not run the task"
    assert tasks.backend_name() == "in-process"


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.mark.redis
def test_celery_on_local_redis_runs_the_task(settings):
    """A real Celery worker (in a thread) takes the task from the local Redis and answers."""
    assert _redis_up(), "Redis must run on 127.0.0.1:6379 (.ci/run starts it)"
    from celery.contrib.testing.worker import start_worker

    from kefu.celery import app

    settings.KEFU_REDIS_URL = "redis://127.0.0.1:6379/15"
    app.conf.broker_url = app.conf.result_backend = settings.KEFU_REDIS_URL
    celery_task = tasks.celery_task_for(tasks.ping)
    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
        result = tasks._dispatch(tasks.ping, (41,), {})
        assert result.get(timeout=20) == 42
    assert celery_task.name == "core.ping"
    assert tasks.queue_status() == {"backend": "celery", "ok": True}
