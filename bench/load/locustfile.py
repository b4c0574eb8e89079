"""Kefu's load mix for locust: signed-in agents working tickets, and API clients (CTI, forms).

Run through `bench/bench_load.py` (which prepares the database, the server and the token), or by
hand against a server that has the demo company loaded (`kefu demo`):

    KEFU_LOAD_TOKEN=kefu_… locust -f bench/load/locustfile.py --headless -u 16 -r 16 -t 60s \
        --host http://127.0.0.1:8114

Agents (weight 4) work as one of the demo agents — with the session cookies in the JSON file
KEFU_LOAD_SESSIONS ({username: session key}, written by bench_load.py: agents stay signed in all
day), else by signing in through the form — and, with a compressed think time, open the inbox, a
ticket, reply (or add a note), search and open the customer 360° page. API
clients (weight 1) create tickets and record calls with a bearer token of the demo admin (the
role integrations use). Request names group URLs by route (`/tickets/[id]/`), so the statistics
are per request type.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from locust import FastHttpUser, HttpUser, between, task

PASSWORD = os.environ.get("KEFU_LOAD_PASSWORD", "kefu-demo-2026")
# agent, agent.en and the twelve extra demo agents (agent001…agent012 at --scale 1).
AGENTS = ["agent", "agent.en", *[f"agent{i:03d}" for i in range(1, 13)]]
SEARCH_TERMS = ["王", "李娜", "138", "手机", "退货", "屏幕", "KF-", "充电", "发票", "维修"]
THINK_MIN_S = float(os.environ.get("KEFU_LOAD_THINK_MIN", "0.2"))
THINK_MAX_S = float(os.environ.get("KEFU_LOAD_THINK_MAX", "1.0"))

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_TICKET = re.compile(r'href="/tickets/(\d+)/"')
_CUSTOMER = re.compile(r'href="/customers/(\d+)/"')
_SESSIONS_FILE = os.environ.get("KEFU_LOAD_SESSIONS", "")
SESSIONS: dict[str, str] = json.loads(Path(_SESSIONS_FILE).read_text()) if _SESSIONS_FILE else {}
_agent_cycle = itertools.cycle(sorted(SESSIONS) or AGENTS)


def _csrf(html: str) -> str:
    found = _CSRF.search(html)
    return found.group(1) if found else ""


class Agent(HttpUser):
    """A support agent in the browser (server-rendered pages; static files are the proxy's job)."""

    weight = 4
    wait_time = between(THINK_MIN_S, THINK_MAX_S)

    def on_start(self) -> None:
        self.username = next(_agent_cycle)
        self.tickets: list[str] = []
        self.customers: list[str] = []
        self.csrf = ""
        if self.username in SESSIONS:
            self.client.cookies.set("sessionid", SESSIONS[self.username])
        else:
            self.sign_in()
        self.inbox()

    def sign_in(self) -> None:
        page = self.client.get("/accounts/login/", name="login page")
        with self.client.post(
            "/accounts/login/",
            data={
                "csrfmiddlewaretoken": _csrf(page.text or ""),
                "username": self.username,
                "password": PASSWORD,
            },
            headers={"Referer": f"{self.host}/accounts/login/"},
            name="login",
            catch_response=True,
        ) as response:
            # Success redirects to the home page (followed); failure re-renders the form.
            if 'name="password"' in (response.text or ""):
                response.failure(f"sign-in failed for {self.username}")

    def _remember(self, html: str) -> None:
        self.tickets = list(dict.fromkeys(_TICKET.findall(html)))[:50] or self.tickets
        customers = _CUSTOMER.findall(html)
        if customers:
            self.customers = list(dict.fromkeys(self.customers + customers))[-50:]
        self.csrf = _csrf(html) or self.csrf

    @task(6)
    def inbox(self) -> None:
        view = random.choice(["mine", "team", "all_open"])
        with self.client.get(
            f"/tickets/?view={view}", name="inbox", catch_response=True
        ) as response:
            if 'name="password"' in (response.text or ""):  # sent to the sign-in page
                response.failure(f"{self.username} is not signed in")
            self._remember(response.text or "")

    @task(6)
    def ticket_view(self) -> None:
        if not self.tickets:
            return self.inbox()
        pk = random.choice(self.tickets)
        response = self.client.get(f"/tickets/{pk}/", name="ticket view")
        self._remember_ticket_page(response.text or "")

    def _remember_ticket_page(self, html: str) -> None:
        customers = _CUSTOMER.findall(html)
        if customers:
            self.customers = list(dict.fromkeys(self.customers + customers))[-50:]
        self.csrf = _csrf(html) or self.csrf

    @task(2)
    def reply(self) -> None:
        if not self.tickets or not self.csrf:
            return self.ticket_view()
        pk = random.choice(self.tickets)
        kind = random.choice(["reply", "note", "note"])
        with self.client.post(
            f"/tickets/{pk}/reply/",
            data={
                "csrfmiddlewaretoken": self.csrf,
                "kind": kind,
                "body": "您好，感谢您的耐心等待。我们已经核实了您的问题，今天内给您回复处理结果。",
                "confirm": "1",
            },
            headers={"Referer": f"{self.host}/tickets/{pk}/"},
            allow_redirects=False,
            name="reply",
            catch_response=True,
        ) as response:
            # 302 back to the ticket = saved; 409/422 = a clash with the ticket's state, which
            # agents meet too (e.g. a closed ticket) and which is not a server failure.
            location = response.headers.get("Location", "")
            if response.status_code == 302 and "/accounts/login/" in location:
                response.failure(f"{self.username} is not signed in")
            elif response.status_code in (302, 409, 422):
                response.success()

    @task(3)
    def search(self) -> None:
        term = random.choice(SEARCH_TERMS)
        response = self.client.get("/search/", params={"q": term}, name="search")
        html = response.text or ""
        customers = _CUSTOMER.findall(html)
        if customers:
            self.customers = list(dict.fromkeys(self.customers + customers))[-50:]

    @task(3)
    def customer_360(self) -> None:
        if not self.customers:
            return self.search()
        pk = random.choice(self.customers)
        self.client.get(f"/customers/{pk}/", name="customer 360")


class ApiClient(FastHttpUser):
    """An integration: a web form or CRM creating tickets, and a CTI posting call records."""

    weight = 1
    wait_time = between(THINK_MIN_S, THINK_MAX_S)

    def on_start(self) -> None:
        token = os.environ.get("KEFU_LOAD_TOKEN", "")
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        response = self.client.get(
            "/api/v1/customers?limit=200", headers=self.headers, name="api customers list"
        )
        try:
            self.customer_ids = [item["id"] for item in response.json()["items"]]
        except (ValueError, KeyError, TypeError):
            self.customer_ids = []

    @task(1)
    def ticket_create(self) -> None:
        if not self.customer_ids:
            return
        self.client.post(
            "/api/v1/tickets",
            json={
                "customer_id": random.choice(self.customer_ids),
                "subject": "订单未收到 Order not received",
                "description": "客户来电：订单三天未到。",
                "channel": "api",
                "kind": random.choice(["inquiry", "request", "complaint"]),
            },
            headers=self.headers,
            name="api ticket create",
        )

    @task(2)
    def call_record(self) -> None:
        offered = datetime.now(UTC) - timedelta(minutes=5)
        answered = offered + timedelta(seconds=random.randint(3, 60))
        abandoned = random.random() < 0.1
        self.client.post(
            "/api/v1/channels/calls",
            json={
                "external_id": f"load-{uuid.uuid4().hex}",
                "caller_number": f"+86138{random.randint(0, 99_999_999):08d}",
                "offered_at": offered.isoformat(),
                "answered_at": None if abandoned else answered.isoformat(),
                "ended_at": None if abandoned else (answered + timedelta(minutes=4)).isoformat(),
                "queue": "售后服务",  # answered calls open a phone ticket (the default)
            },
            headers=self.headers,
            name="api call record",
        )
