"""Background work of the customers app."""

from kefu.core.tasks import task
from kefu.customers import importing


@task(name="customers.import_job", max_retries=0)
def import_job_task(job_id: int, actor_id: int) -> None:
    """Run a queued import (large files run here, so the page can show their progress)."""
    importing.import_job_run_in_background(job_id, actor_id)
