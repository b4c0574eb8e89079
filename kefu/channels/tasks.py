"""Background work of the channels: sending mail and webhooks, retrying, polling mailboxes.

Each task is idempotent: sending claims its row first, so a second run does nothing, and a
failure is recorded on the row (never raised) and picked up by `channels.retry_due`.
"""

from __future__ import annotations

from kefu.core.tasks import task


@task(name="channels.send_outbound_email", max_retries=0)
def send_outbound_email(outbound_id: int) -> str:
    from kefu.channels.services import outbound_email_send

    return outbound_email_send(outbound_id=outbound_id).state


@task(name="channels.deliver_webhook", max_retries=0)
def deliver_webhook(delivery_id: int) -> str:
    from kefu.channels.services import webhook_deliver

    return webhook_deliver(delivery_id=delivery_id).state


@task(name="channels.retry_due", every_seconds=30, max_retries=0)
def retry_due() -> dict:
    from kefu.channels import services

    return services.retry_due()


@task(name="channels.poll_mailboxes", every_seconds=60, max_retries=0)
def poll_mailboxes() -> int:
    from kefu.channels.services import mailboxes_poll

    return sum(result.created for result in mailboxes_poll())
