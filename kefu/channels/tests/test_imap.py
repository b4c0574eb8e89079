"""IMAP polling against a real Dovecot on a loopback port, configured and started by the test.

Needs Debian's dovecot-imapd (`apt-get install dovecot-imapd`); without it the tests are
skipped with that reason (the polling code is then NOT tested).
"""

from __future__ import annotations

import imaplib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from kefu.channels import services
from kefu.channels.models import InboundEmail, Mailbox
from kefu.channels.tests.conftest import free_port
from kefu.channels.tests.helpers import eml, make_mail
from kefu.tickets.models import Message

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
PASSWORD = "imap-test-pw"
CONFIG = """
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
mail_uid = nobody
mail_gid = nogroup
default_internal_user = dovecot
default_login_user = dovenull
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not os.path.exists(DOVECOT) or os.geteuid() != 0,
        reason="dovecot-imapd not installed (or not root): IMAP polling NOT tested here",
    ),
]


@pytest.fixture(scope="module")
def dovecot():
    root = Path(tempfile.mkdtemp(prefix="kefu-dovecot-", dir="/tmp"))
    root.chmod(0o755)
    (root / "mail").mkdir()
    shutil.chown(root / "mail", "nobody", "nogroup")
    port = free_port()
    config = root / "dovecot.conf"
    config.write_text(CONFIG.format(root=root, port=port, password=PASSWORD))
    process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)])
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.terminate()
                pytest.fail("dovecot did not start: " + (root / "dovecot.log").read_text())
            time.sleep(0.1)
    yield {"port": port, "root": root}
    process.terminate()
    process.wait(timeout=10)
    shutil.rmtree(root, ignore_errors=True)


_users = iter(range(1, 10_000))


@pytest.fixture
def imap_box(dovecot, make_mailbox, monkeypatch):
    """A fresh IMAP account (Dovecot's static passdb accepts any user name) and its Mailbox."""
    user = f"support{next(_users)}"
    monkeypatch.setenv("KEFU_TEST_IMAP_PASSWORD", PASSWORD)
    mailbox = make_mailbox(
        imap_port=dovecot["port"], imap_ssl=False, imap_user=user, name=f"imap-{user}"
    )

    def deliver(raw: bytes) -> None:
        client = imaplib.IMAP4("127.0.0.1", dovecot["port"])
        client.login(user, PASSWORD)
        status, _data = client.append("INBOX", None, None, raw)
        assert status == "OK"
        client.logout()

    def flags() -> list[bytes]:
        client = imaplib.IMAP4("127.0.0.1", dovecot["port"])
        client.login(user, PASSWORD)
        client.select("INBOX", readonly=True)
        _status, data = client.uid("FETCH", "1:*", "(FLAGS)")
        client.logout()
        return data

    return mailbox, deliver, flags


def test_poll_ingests_new_messages_once_and_leaves_them_unread(imap_box):
    mailbox, deliver, flags = imap_box
    deliver(eml("plain_utf8.eml"))
    deliver(eml("gb2312_body_gbk_subject.eml"))
    result = services.mailbox_poll(mailbox=mailbox)
    assert (result.fetched, result.created, result.error) == (2, 2, "")
    assert InboundEmail.objects.filter(mailbox=mailbox).count() == 2
    rows = InboundEmail.objects.filter(mailbox=mailbox).order_by("uid")
    assert [r.uid for r in rows] == [1, 2] and rows[0].uid_validity > 0
    assert rows[0].ticket.team_id == mailbox.team_id
    assert all(b"\\Seen" not in item for item in flags())
    again = services.mailbox_poll(mailbox=Mailbox.objects.get(pk=mailbox.pk))
    assert (again.fetched, again.created) == (0, 0)
    deliver(make_mail(message_id="third@imap.example"))
    third = services.mailbox_poll(mailbox=Mailbox.objects.get(pk=mailbox.pk))
    assert (third.fetched, third.created) == (1, 1)
    assert Mailbox.objects.get(pk=mailbox.pk).last_uid == 3


def test_same_message_delivered_twice_in_the_mailbox_is_one_message(imap_box):
    mailbox, deliver, _flags = imap_box
    raw = make_mail(message_id="dup@imap.example")
    deliver(raw)
    deliver(raw)
    result = services.mailbox_poll(mailbox=mailbox)
    assert (result.fetched, result.created) == (2, 1)
    assert Message.objects.count() == 1


def test_forgotten_high_water_mark_refetches_without_duplicates(imap_box):
    mailbox, deliver, _flags = imap_box
    deliver(make_mail(message_id="hw@imap.example"))
    services.mailbox_poll(mailbox=mailbox)
    Mailbox.objects.filter(pk=mailbox.pk).update(last_uid=0)  # e.g. restored from a backup
    result = services.mailbox_poll(mailbox=Mailbox.objects.get(pk=mailbox.pk))
    assert (result.fetched, result.created) == (1, 0)
    assert InboundEmail.objects.count() == 1


def test_malformed_message_is_quarantined_and_polling_goes_on(imap_box):
    mailbox, deliver, _flags = imap_box
    deliver(b"\x00\x01 not mail at all \xff\xfe")
    deliver(make_mail(message_id="after-garbage@imap.example"))
    result = services.mailbox_poll(mailbox=mailbox)
    assert result.fetched == 2 and result.error == ""
    statuses = sorted(InboundEmail.objects.values_list("status", flat=True))
    assert statuses == ["processed", "quarantined"]


def test_wrong_password_is_recorded_not_raised(imap_box, monkeypatch):
    mailbox, _deliver, _flags = imap_box
    monkeypatch.setenv("KEFU_TEST_IMAP_PASSWORD", "wrong")
    result = services.mailbox_poll(mailbox=mailbox)
    assert result.error and result.fetched == 0
    assert Mailbox.objects.get(pk=mailbox.pk).last_error == result.error
    monkeypatch.delenv("KEFU_TEST_IMAP_PASSWORD")
    assert "KEFU_TEST_IMAP_PASSWORD" in services.mailbox_poll(mailbox=mailbox).error
