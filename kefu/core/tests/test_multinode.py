"""Kefu on several nodes: two web processes and two Celery workers over one PostgreSQL and Redis.

The cluster (kefu/core/tests/multinode.py) runs real subprocesses — gunicorn `kefu.wsgi` and
`celery -A kefu worker` — against this test run's own PostgreSQL database (its name is passed in
KEFU_DATABASE_URL; the data they read is committed, hence `transaction=True`) and a Redis
database of its own with queue names unique to the run. Each worker consumes its own queue, so
sending the same task to both queues gives both workers the same work at once;
the database rows then show whether anything happened twice.

Runs only on PostgreSQL: SQLite is single-node by design (one file on one machine, one writer),
so a multi-node deployment on it is not supported and there is nothing to test. Needs Redis on
127.0.0.1:6379 (skipped without it outside CI, like the other Celery tests); the mail part also
needs Dovecot (as kefu/channels/tests/test_imap.py).
"""

from __future__ import annotations

import datetime as dt
import imaplib
import json
import os
import re
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.utils import timezone

from kefu.core.tests import multinode

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
DOVECOT_USABLE = os.path.exists(DOVECOT) and os.geteuid() == 0
IMAP_PASSWORD = "multinode-imap-pw"
PASSWORD = "Multi-node-Pass-1"

pytestmark = [
    pytest.mark.skipif(
        not ON_POSTGRESQL,
        reason="not applicable on SQLite: it is single-node by design (one file, one machine); "
        "run with KEFU_DATABASE_URL=postgresql://… to test several nodes",
    ),
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(scope="module")
def cluster(django_db_setup, tmp_path_factory):
    """Two web nodes and two worker nodes on this run's test database (stopped afterwards)."""
    from django.db import connection

    root = tmp_path_factory.mktemp("multinode")
    # Dovecot's mail user (nobody) must reach its directory: not under pytest's 0700 tmp dirs.
    dovecot_root = Path(tempfile.mkdtemp(prefix="kefu-multinode-dovecot-", dir="/tmp"))
    dovecot = None
    extra_env = {"KEFU_MN_IMAP_PASSWORD": IMAP_PASSWORD}
    nodes = multinode.Cluster(
        database_url=multinode.database_url(connection.settings_dict),
        root=root,
        extra_env=extra_env,
    )
    try:
        if DOVECOT_USABLE:
            dovecot, port = multinode.start_dovecot(dovecot_root, IMAP_PASSWORD)
            nodes.imap_port = port
        started = time.monotonic()
        for name in ("web-a", "web-b"):
            nodes.start_web(name)
        for name in ("worker-1", "worker-2"):
            nodes.start_worker(name)
        nodes.wait_ready()
        print(f"\ncluster ready in {time.monotonic() - started:.1f} s")
        yield nodes
    finally:
        stopping = time.monotonic()
        nodes.stop()
        print(f"\ncluster stopped in {time.monotonic() - stopping:.1f} s")
        if dovecot is not None:
            multinode.stop_process(dovecot)
        shutil.rmtree(dovecot_root, ignore_errors=True)


# --------------------------------------------------------------------------- sessions


def _login(base_url: str, username: str) -> tuple[str, str]:
    page = multinode.request("GET", f"{base_url}/accounts/login/")
    csrf = page.cookies["csrftoken"]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body).group(1)
    answer = multinode.request(
        "POST",
        f"{base_url}/accounts/login/",
        cookies={"csrftoken": csrf},
        form={"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD},
    )
    assert answer.status == 302, answer.body[:500]
    return answer.cookies["sessionid"], csrf


def test_a_session_signed_in_on_one_web_process_works_on_the_other(cluster, make_user):
    user = make_user("agent", username="lina.multinode")
    # The nodes hash with Django's default (PBKDF2); the test settings' fast MD5 hasher is
    # unknown to them, so the password is stored the way they can check it.
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
    user.save(update_fields=["password"])
    web_a, web_b = (node.url for node in cluster.webs)

    session, csrf = _login(web_a, user.username)
    me = multinode.request("GET", f"{web_b}/api/v1/accounts/me", cookies={"sessionid": session})
    assert me.status == 200 and json.loads(me.body)["username"] == "lina.multinode"
    home = multinode.request("GET", f"{web_b}/", cookies={"sessionid": session})
    assert home.status == 200
    assert multinode.request("GET", f"{web_b}/api/v1/accounts/me").status == 401  # no cookie

    # Signing out on web-b ends the session on web-a too (sessions live in the database).
    out = multinode.request(
        "POST",
        f"{web_b}/accounts/logout/",
        cookies={"sessionid": session, "csrftoken": csrf},
        form={"csrfmiddlewaretoken": csrf},
    )
    assert out.status == 302
    after = multinode.request("GET", f"{web_a}/api/v1/accounts/me", cookies={"sessionid": session})
    assert after.status == 401


# --------------------------------------------------------------------------- SLA sweep


def test_sla_sweeps_on_both_workers_fire_each_escalation_once(cluster, make_user, monkeypatch):
    from kefu.core.models import AuditEvent
    from kefu.sla import services as sla_services
    from kefu.sla.models import EscalationFiring
    from kefu.sla.tests.factories import always_calendar, make_policy
    from kefu.tickets.models import Ticket
    from kefu.tickets.tests.factories import make_customer, make_ticket

    tickets_count = 10
    agent = make_user("agent", username="sweep.agent")
    policy = make_policy(always_calendar(), first_response_minutes=60)
    sla_services.rule_create(
        actor=None, name="Raise", target="first_response", action="raise_priority"
    )
    sla_services.rule_create(
        actor=None, name="Tag", target="first_response", action="add_tag", tag="late",
        policy=policy,
    )  # fmt: skip
    # Tickets opened three hours ago: their first-response clocks (60 minutes) are breached now.
    opened = timezone.now() - dt.timedelta(hours=3)
    with monkeypatch.context() as patch:
        patch.setattr(timezone, "now", lambda: opened)
        customer = make_customer()
        tickets = [
            make_ticket(agent, customer=customer, assignee=agent) for _ in range(tickets_count)
        ]

    results = cluster.run_everywhere("sla.sweep", copies=2)

    assert len(results) == 4  # two sweeps on each worker, all finished
    assert sum(results) == 2 * tickets_count  # each escalation fired by exactly one of them
    assert EscalationFiring.objects.count() == 2 * tickets_count
    assert AuditEvent.objects.filter(action="sla.escalated").count() == 2 * tickets_count
    priorities = Counter(
        Ticket.objects.filter(pk__in=[t.pk for t in tickets]).values_list("priority", flat=True)
    )
    assert priorities == {"high": tickets_count}  # raised once: twice would be "urgent"
    assert cluster.run_everywhere("sla.sweep", copies=1) == [0, 0]


# --------------------------------------------------------------------------- mail ingestion


@pytest.mark.skipif(
    not DOVECOT_USABLE,
    reason="dovecot-imapd not installed (or not root): multi-node mail polling NOT tested here",
)
def test_mail_polling_on_both_workers_ingests_each_message_once(cluster):
    from kefu.accounts.models import Team
    from kefu.channels.models import InboundEmail, Mailbox
    from kefu.channels.tests.helpers import make_mail
    from kefu.tickets.models import Category, Message, Ticket

    messages_count = 6
    mailbox = Mailbox.objects.create(
        name="multinode",
        address="support@kefu.example",
        imap_host="127.0.0.1",
        imap_port=cluster.imap_port,
        imap_ssl=False,
        imap_user="support-multinode",
        password_env="KEFU_MN_IMAP_PASSWORD",
        team=Team.objects.create(name="Mail team"),
        category=Category.objects.get_or_create(name="Email", parent=None)[0],
    )
    imap = imaplib.IMAP4("127.0.0.1", cluster.imap_port)
    imap.login(mailbox.imap_user, IMAP_PASSWORD)
    for n in range(messages_count):
        raw = make_mail(
            message_id=f"multinode-{n}@example.cn",
            sender=f"Customer {n} <customer{n}@example.cn>",
            subject=f"Order {1000 + n} not delivered",
        )
        assert imap.append("INBOX", None, None, raw)[0] == "OK"
    imap.logout()

    results = cluster.run_everywhere("channels.poll_mailboxes", copies=2)

    assert len(results) == 4
    assert sum(results) == messages_count  # each message created by exactly one poll
    assert InboundEmail.objects.count() == messages_count
    assert sorted(InboundEmail.objects.values_list("uid", flat=True)) == list(
        range(1, messages_count + 1)
    )
    tickets = Ticket.objects.filter(channel="email")
    assert tickets.count() == messages_count
    assert Message.objects.filter(ticket__in=tickets).count() == messages_count
    mailbox.refresh_from_db()
    assert mailbox.last_uid == messages_count and mailbox.last_error == ""


# --------------------------------------------------------------------------- survey dispatch


def test_survey_dispatch_on_both_workers_sends_each_invitation_once(cluster, make_user):
    from kefu.surveys import services as survey_services
    from kefu.surveys.models import Invitation, InvitationState
    from kefu.surveys.tests.factories import published

    invitations_count = 8
    manager = make_user("manager", username="survey.manager", email="mgr@example.com")
    survey = published(manager, "csat")
    addresses = [f"respondent{n}@example.com" for n in range(invitations_count)]
    for address in addresses:
        survey_services.invitation_create(actor=manager, survey=survey, email=address, send=False)
    # Due post-resolution invitations, as the automatic rule leaves them for the dispatcher.
    Invitation.objects.filter(survey=survey).update(
        state=InvitationState.SCHEDULED,
        send_after=timezone.now() - dt.timedelta(minutes=1),
        sent_at=None,
    )

    results = cluster.run_everywhere("surveys.dispatch_due", copies=2)

    assert len(results) == 4
    assert sum(results) == invitations_count
    states = Counter(Invitation.objects.filter(survey=survey).values_list("state", flat=True))
    assert states == {InvitationState.SENT: invitations_count}
    # The nodes write mail to files (no SMTP configured): every address got exactly one.
    sent_to = Counter(
        address
        for path in (cluster.root / "mail").glob("*.log")
        for address in re.findall(r"^To: (respondent\d+@example\.com)$", path.read_text(), re.M)
    )
    assert sent_to == dict.fromkeys(addresses, 1)
