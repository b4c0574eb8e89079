"""Polling IMAP mailboxes: fetch what arrived since the last UID read and ingest it."""

from __future__ import annotations

import contextlib
import imaplib
import logging
import os
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.channels.models import Mailbox
from kefu.channels.services.inbound import email_ingest

log = logging.getLogger(__name__)
_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
IMAP_TIMEOUT_S = 30


@dataclass(frozen=True)
class PollResult:
    fetched: int
    created: int
    error: str = ""


def _connect(mailbox: Mailbox) -> imaplib.IMAP4:
    password = os.environ.get(mailbox.password_env, "")
    if not password:
        raise RuntimeError(
            _("The variable %s holding the password is not set.") % mailbox.password_env
        )
    cls = imaplib.IMAP4_SSL if mailbox.imap_ssl else imaplib.IMAP4
    client = cls(mailbox.imap_host, mailbox.imap_port, timeout=IMAP_TIMEOUT_S)
    client.login(mailbox.imap_user, password)
    return client


def _check(response: tuple, what: str):
    status, data = response
    if status != "OK":
        raise RuntimeError(f"IMAP {what} failed: {data!r}")
    return data


def mailbox_poll(*, mailbox: Mailbox) -> PollResult:
    """Fetch new messages (UID greater than the last one read) and ingest each exactly once.

    Messages are read with BODY.PEEK so the mailbox's \\Seen flags are left to people; the UID
    high-water mark only moves past a message once it is stored, and a change of UIDVALIDITY
    starts again from the first message (duplicates are then caught by Message-ID).
    """
    fetched = created = 0
    error = ""
    try:
        client = _connect(mailbox)
        try:
            data = _check(client.select(_quote(mailbox.folder), readonly=True), "SELECT")
            validity_line = client.response("UIDVALIDITY")[1]
            uid_validity = int(validity_line[0]) if validity_line and validity_line[0] else 0
            last_uid = mailbox.last_uid if uid_validity == mailbox.uid_validity else 0
            data = _check(client.uid("SEARCH", None, f"UID {last_uid + 1}:*"), "SEARCH")
            uids = sorted(int(u) for u in (data[0] or b"").split() if int(u) > last_uid)
            for uid in uids:
                data = _check(client.uid("FETCH", str(uid), "(BODY.PEEK[])"), "FETCH")
                raw = next((item[1] for item in data if isinstance(item, tuple)), None)
                if raw is None:
                    continue
                fetched += 1
                result = email_ingest(raw, mailbox=mailbox, uid=uid, uid_validity=uid_validity)
                created += int(result.created)
                last_uid = uid
                Mailbox.objects.filter(pk=mailbox.pk).update(
                    last_uid=last_uid, uid_validity=uid_validity
                )
            mailbox.last_uid, mailbox.uid_validity = last_uid, uid_validity
        finally:
            # The connection may already be gone; there is nothing left to clean up then.
            with contextlib.suppress(Exception):
                client.logout()
    except (OSError, imaplib.IMAP4.error, RuntimeError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        log.warning("polling mailbox %s failed: %s", mailbox.pk, error)
    Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=timezone.now(), last_error=error)
    return PollResult(fetched=fetched, created=created, error=error)


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def mailboxes_poll() -> list[PollResult]:
    """Poll every active mailbox (the periodic task)."""
    return [mailbox_poll(mailbox=m) for m in Mailbox.objects.filter(is_active=True)]
