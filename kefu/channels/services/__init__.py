"""Writes of the channels app: every row of kefu.channels.models is saved here.

`channels_ticket_changed` is called by kefu.tickets.services.effects inside the ticket's
transaction; it queues outbound mail for public email replies and notifies webhook subscribers.
"""

from kefu.channels.services.contacts import (
    call_record_ingest,
    call_records_ingest_bulk,
    chat_ingest,
    external_message_ingest,
)
from kefu.channels.services.imap import mailbox_poll, mailboxes_poll
from kefu.channels.services.inbound import (
    IngestResult,
    email_ingest,
    inbound_retry,
    mailbox_save,
)
from kefu.channels.services.outbound import (
    outbound_email_queue,
    outbound_email_retry,
    outbound_email_send,
)
from kefu.channels.services.retries import retry_due
from kefu.channels.services.webhooks import (
    channels_ticket_changed,
    webhook_deliver,
    webhook_emit,
    webhook_replay,
    webhook_subscription_save,
)

__all__ = [
    "IngestResult",
    "call_record_ingest",
    "call_records_ingest_bulk",
    "channels_ticket_changed",
    "chat_ingest",
    "email_ingest",
    "external_message_ingest",
    "inbound_retry",
    "mailbox_poll",
    "mailbox_save",
    "mailboxes_poll",
    "outbound_email_queue",
    "outbound_email_retry",
    "outbound_email_send",
    "retry_due",
    "webhook_deliver",
    "webhook_emit",
    "webhook_replay",
    "webhook_subscription_save",
]
