"""Every API operation (from the OpenAPI schema) called as every role.

Reads (GET) are called as all seven roles and must match READ_ACCESS exactly. Writes are called
as anonymous (must be 401) and as a portal customer (must never succeed); staff writes are
covered by each app's API tests and by the fuzzing test. A new operation that is not in
READ_ACCESS / WRITES fails the test: decide who may call it, then add it.
"""

from __future__ import annotations

import re

import pytest

from kefu.api.api import api
from kefu.core.tests.access_matrix import resolve
from kefu.core.tests.world import ROLES, build_world

PARAMS = {
    "token_id": "admin_token",
    "team_id": "team_b",
    "customer_id": "bob_customer",
    "merge_id": "customers.MergeRecord",
    "contact_id": "customers.ContactPoint",
    "purchase_id": "customers.Purchase",
    "job_id": "customers.ImportJob",
    "ticket_id": "ticket_b",
    "message_id": "message_b",
    "macro_id": "tickets.Macro",
    "compensation_id": "tickets.Compensation",
    "calendar_id": "sla.BusinessCalendar",
    "policy_id": "sla.SlaPolicy",
    "rule_id": "sla.EscalationRule",
    "inbound_id": "channels.InboundEmail",
    "outbound_id": "channels.OutboundEmail",
    "delivery_id": "channels.WebhookDelivery",
    "survey_id": "survey",
    "question_id": "surveys.Question",
    "section_id": "surveys.Section",
    "article_id": "internal_article",
    "number": 1,
    "problem_id": "tickets.Problem",
    "synonym_id": "knowledge.Synonym",
    "run_id": "workforce.SimulationRun",
    "queue_id": "workforce.Queue",
    "agent_id": "agent_b",
    "rubric_id": "quality.Rubric",
    "evaluation_id": "quality.Evaluation",
    "session_id": "quality.CalibrationSession",
    "target_id": "quality.KpiTarget",
    "action_id": "quality.ImprovementAction",
    "report_id": "reports.SavedReport",
    "kind": "resolution",
}


# Status codes per role, in ROLES order:
# (anonymous, customer, agent, qa, supervisor, manager, admin). 401 = not signed in, 403 = role
# refused, 404 = hidden (another team's or customer's object) or absent from the test world,
# 204/422 = passed authentication (a required query parameter was missing).
READ_STATUS = {
    "/api/v1/health": (200, 200, 200, 200, 200, 200, 200),
    "/api/v1/audit-events": (401, 403, 403, 403, 200, 200, 200),
    "/api/v1/accounts/me": (401, 200, 200, 200, 200, 200, 200),
    "/api/v1/accounts/tokens": (401, 200, 200, 200, 200, 200, 200),
    "/api/v1/accounts/users": (401, 403, 403, 200, 200, 200, 200),
    "/api/v1/teams": (401, 403, 200, 200, 200, 200, 200),
    "/api/v1/teams/{team_id}": (401, 403, 200, 200, 200, 200, 200),
    "/api/v1/customers": (401, 403, 200, 200, 200, 200, 200),
    "/api/v1/customers/export": (401, 403, 403, 403, 200, 200, 200),
    "/api/v1/customers/{customer_id}": (401, 403, 200, 200, 200, 200, 200),
    "/api/v1/customers/{customer_id}/data-export": (401, 403, 403, 403, 403, 403, 200),
    "/api/v1/customers/{customer_id}/timeline": (401, 403, 200, 200, 200, 200, 200),
    "/api/v1/customers/{customer_id}/duplicates": (401, 403, 200, 200, 200, 200, 200),
    "/api/v1/customers/{customer_id}/merge-preview": (401, 422, 422, 422, 422, 422, 422),
    "/api/v1/customers/{customer_id}/contacts": (401, 403, 200, 200, 200, 200, 200),
    "/api/v1/customers/{customer_id}/credit-ratings": (401, 403, 200, 200, 200, 200, 200),
    "/api/v1/customers/{customer_id}/notes": (401, 403, 200, 200, 200, 200, 200),
    "/api/v1/organizations": (401, 403, 200, 200, 200, 200, 200),
    "/api/v1/purchases": (401, 403, 200, 403, 200, 200, 200),
    "/api/v1/purchases/{purchase_id}": (401, 403, 404, 403, 404, 404, 404),
    "/api/v1/imports": (401, 403, 403, 403, 200, 200, 200),
    "/api/v1/imports/{job_id}": (401, 403, 403, 403, 404, 404, 404),
    "/api/v1/imports/{job_id}/errors.csv": (401, 403, 403, 403, 404, 404, 404),
    "/api/v1/tickets": (401, 403, 200, 200, 200, 200, 200),
    "/api/v1/tickets/{ticket_id}": (401, 404, 404, 200, 200, 200, 200),
    "/api/v1/tickets/{ticket_id}/messages": (401, 404, 404, 200, 200, 200, 200),
    "/api/v1/tickets/{ticket_id}/events": (401, 404, 404, 200, 200, 200, 200),
    "/api/v1/tickets/{ticket_id}/3w": (401, 404, 404, 200, 200, 200, 200),
    "/api/v1/tickets/{ticket_id}/compensations": (401, 404, 404, 200, 200, 200, 200),
    "/api/v1/approvals": (401, 403, 403, 403, 200, 200, 200),
    "/api/v1/problems": (401, 403, 200, 403, 200, 200, 200),
    "/api/v1/macros": (401, 403, 200, 403, 200, 200, 200),
    "/api/v1/calendars": (401, 403, 403, 403, 200, 200, 200),
    "/api/v1/calendars/{calendar_id}": (401, 403, 403, 403, 404, 404, 404),
    "/api/v1/sla-policies": (401, 403, 403, 403, 200, 200, 200),
    "/api/v1/sla-policies/expected-response": (401, 204, 204, 204, 204, 204, 204),
    "/api/v1/sla-policies/{policy_id}": (401, 403, 403, 403, 404, 404, 404),
    "/api/v1/escalation-rules": (401, 403, 403, 403, 200, 200, 200),
    "/api/v1/tickets/{ticket_id}/sla": (401, 403, 403, 200, 200, 200, 200),
    "/api/v1/reports/sla": (401, 403, 403, 403, 200, 200, 200),
    "/api/v1/channels/email/inbound": (401, 403, 403, 403, 200, 200, 200),
    "/api/v1/channels/email/outbound": (401, 403, 403, 403, 200, 200, 200),
    "/api/v1/channels/calls": (401, 403, 200, 403, 200, 200, 200),
    "/api/v1/channels/webhooks": (401, 403, 403, 403, 403, 403, 200),
    "/api/v1/channels/webhooks/deliveries": (401, 403, 403, 403, 200, 200, 200),
    "/api/v1/surveys": (401, 403, 200, 200, 200, 200, 200),
    "/api/v1/surveys/{survey_id}": (401, 403, 200, 200, 200, 200, 200),
    "/api/v1/surveys/{survey_id}/responses/form": (200, 200, 200, 200, 200, 200, 200),
    "/api/v1/surveys/{survey_id}/responses": (401, 403, 403, 403, 200, 200, 200),
    "/api/v1/surveys/{survey_id}/results": (401, 403, 200, 200, 200, 200, 200),
    "/api/v1/satisfaction/loyalty": (401, 403, 200, 200, 200, 200, 200),
    "/api/v1/satisfaction/waterfall": (401, 403, 200, 200, 200, 200, 200),
    "/api/v1/satisfaction/gaps": (401, 403, 200, 200, 200, 200, 200),
    "/api/v1/articles": (401, 200, 200, 200, 200, 200, 200),
    "/api/v1/articles/search": (401, 422, 422, 422, 422, 422, 422),
    "/api/v1/articles/{article_id}": (401, 404, 200, 200, 200, 200, 200),
    "/api/v1/articles/{article_id}/versions": (401, 403, 200, 200, 200, 200, 200),
    "/api/v1/articles/{article_id}/versions/{number}": (401, 403, 200, 200, 200, 200, 200),
    "/api/v1/tickets/{ticket_id}/suggestions": (401, 403, 404, 200, 200, 200, 200),
    "/api/v1/knowledge/problems": (401, 403, 200, 403, 200, 200, 200),
    "/api/v1/knowledge/problems/{problem_id}": (401, 403, 404, 403, 404, 404, 404),
    "/api/v1/knowledge/synonyms": (401, 403, 200, 200, 200, 200, 200),
    "/api/v1/knowledge/deflection": (401, 403, 403, 403, 200, 200, 200),
    "/api/v1/workforce/simulate": (401, 403, 403, 403, 200, 200, 200),
    "/api/v1/workforce/simulate/{run_id}": (401, 403, 403, 403, 404, 404, 404),
    "/api/v1/workforce/queues": (401, 403, 200, 403, 200, 200, 200),
    "/api/v1/workforce/queues/{queue_id}": (401, 403, 404, 403, 404, 404, 404),
    "/api/v1/workforce/agents": (401, 403, 200, 403, 200, 200, 200),
    "/api/v1/workforce/agents/{agent_id}/presence": (401, 403, 200, 403, 200, 200, 200),
    "/api/v1/analytics/customer-value": (401, 403, 403, 403, 403, 404, 404),
    "/api/v1/analytics/summary": (401, 403, 403, 403, 403, 404, 404),
    "/api/v1/quality/kpis": (401, 403, 200, 200, 200, 200, 200),
    "/api/v1/quality/qa/rubrics": (401, 403, 403, 200, 200, 200, 200),
    "/api/v1/quality/qa/rubrics/{rubric_id}": (401, 403, 403, 404, 404, 404, 404),
    "/api/v1/quality/qa/evaluations": (401, 403, 200, 200, 200, 200, 200),
    "/api/v1/quality/qa/evaluations/{evaluation_id}": (401, 403, 404, 404, 404, 404, 404),
    "/api/v1/quality/qa/calibrations": (401, 403, 403, 200, 200, 200, 200),
    "/api/v1/quality/qa/calibrations/{session_id}": (401, 403, 403, 404, 404, 404, 404),
    "/api/v1/quality/targets": (401, 403, 403, 200, 200, 200, 200),
    "/api/v1/quality/improvement-actions": (401, 403, 403, 200, 200, 200, 200),
    "/api/v1/reports/pivot/fields": (401, 403, 403, 403, 200, 200, 200),
    "/api/v1/reports/saved": (401, 403, 403, 403, 200, 200, 200),
    "/api/v1/reports/dashboard": (401, 403, 403, 403, 200, 200, 200),
    "/api/v1/reports/customers/{customer_id}/churn-risk": (401, 403, 404, 403, 403, 404, 404),
    "/api/v1/reports/churn/at-risk": (401, 403, 403, 403, 403, 200, 200),
    "/api/v1/reports/churn/model": (401, 403, 403, 403, 403, 200, 200),
}

WRITE_STATUS = {
    ("PUT", "/api/v1/tickets/{ticket_id}/sla/{kind}/breach-reason"): (401, 422),
    ("POST", "/api/v1/accounts/tokens"): (401, 422),
    ("DELETE", "/api/v1/accounts/tokens/{token_id}"): (401, 404),
    ("POST", "/api/v1/teams"): (401, 422),
    ("PATCH", "/api/v1/teams/{team_id}"): (401, 422),
    ("POST", "/api/v1/customers"): (401, 422),
    ("PATCH", "/api/v1/customers/{customer_id}"): (401, 422),
    ("DELETE", "/api/v1/customers/{customer_id}"): (401, 403),
    ("POST", "/api/v1/customers/{customer_id}/merge"): (401, 422),
    ("POST", "/api/v1/customers/{customer_id}/erase"): (401, 422),
    ("POST", "/api/v1/customers/merges/{merge_id}/undo"): (401, 403),
    ("POST", "/api/v1/customers/{customer_id}/contacts"): (401, 422),
    ("DELETE", "/api/v1/customers/{customer_id}/contacts/{contact_id}"): (401, 403),
    ("POST", "/api/v1/customers/{customer_id}/credit-ratings"): (401, 422),
    ("POST", "/api/v1/customers/{customer_id}/notes"): (401, 422),
    ("POST", "/api/v1/purchases"): (401, 422),
    ("POST", "/api/v1/purchases/bulk"): (401, 422),
    ("PATCH", "/api/v1/purchases/{purchase_id}"): (401, 403),
    ("DELETE", "/api/v1/purchases/{purchase_id}"): (401, 403),
    ("POST", "/api/v1/imports"): (401, 422),
    ("POST", "/api/v1/tickets"): (401, 422),
    ("POST", "/api/v1/tickets/batch"): (401, 422),
    ("POST", "/api/v1/tickets/check-reply"): (401, 422),
    ("POST", "/api/v1/tickets/classify"): (401, 422),
    ("PATCH", "/api/v1/tickets/{ticket_id}"): (401, 422),
    ("POST", "/api/v1/tickets/{ticket_id}/messages"): (401, 422),
    ("POST", "/api/v1/tickets/{ticket_id}/messages/{message_id}/split"): (401, 404),
    ("POST", "/api/v1/tickets/{ticket_id}/transition"): (401, 422),
    ("POST", "/api/v1/tickets/{ticket_id}/stage"): (401, 422),
    ("POST", "/api/v1/tickets/{ticket_id}/merge"): (401, 422),
    ("POST", "/api/v1/tickets/{ticket_id}/compensations"): (401, 422),
    ("POST", "/api/v1/tickets/{ticket_id}/macros/{macro_id}"): (401, 404),
    ("POST", "/api/v1/approvals/{compensation_id}/approve"): (401, 403),
    ("POST", "/api/v1/approvals/{compensation_id}/reject"): (401, 403),
    ("POST", "/api/v1/problems"): (401, 422),
    ("POST", "/api/v1/incidents/{ticket_id}/tickets"): (401, 404),
    ("POST", "/api/v1/incidents/{ticket_id}/broadcast"): (401, 422),
    ("POST", "/api/v1/incidents/{ticket_id}/solve"): (401, 422),
    ("POST", "/api/v1/calendars"): (401, 422),
    ("PATCH", "/api/v1/calendars/{calendar_id}"): (401, 422),
    ("DELETE", "/api/v1/calendars/{calendar_id}"): (401, 404),
    ("POST", "/api/v1/calendars/{calendar_id}/holidays"): (401, 422),
    ("POST", "/api/v1/sla-policies"): (401, 422),
    ("POST", "/api/v1/sla-policies/reorder"): (401, 422),
    ("PATCH", "/api/v1/sla-policies/{policy_id}"): (401, 422),
    ("DELETE", "/api/v1/sla-policies/{policy_id}"): (401, 404),
    ("POST", "/api/v1/sla-policies/{policy_id}/reapply"): (401, 404),
    ("POST", "/api/v1/escalation-rules"): (401, 422),
    ("PATCH", "/api/v1/escalation-rules/{rule_id}"): (401, 422),
    ("DELETE", "/api/v1/escalation-rules/{rule_id}"): (401, 404),
    ("POST", "/api/v1/tickets/{ticket_id}/sla/onsite-visit"): (401, 403),
    ("POST", "/api/v1/channels/email/inbound"): (401, 403),
    ("POST", "/api/v1/channels/email/inbound/{inbound_id}/retry"): (401, 403),
    ("POST", "/api/v1/channels/email/outbound/{outbound_id}/retry"): (401, 403),
    ("POST", "/api/v1/channels/calls"): (401, 422),
    ("POST", "/api/v1/channels/calls/bulk"): (401, 422),
    ("POST", "/api/v1/channels/chats"): (401, 422),
    ("POST", "/api/v1/channels/messages"): (401, 422),
    ("POST", "/api/v1/channels/webhooks"): (401, 422),
    ("POST", "/api/v1/channels/webhooks/deliveries/{delivery_id}/replay"): (401, 403),
    ("POST", "/api/v1/surveys"): (401, 403),
    ("PATCH", "/api/v1/surveys/{survey_id}"): (401, 422),
    ("DELETE", "/api/v1/surveys/{survey_id}"): (401, 403),
    ("POST", "/api/v1/surveys/{survey_id}/publish"): (401, 422),
    ("POST", "/api/v1/surveys/{survey_id}/close"): (401, 422),
    ("POST", "/api/v1/surveys/{survey_id}/questions"): (401, 422),
    ("PATCH", "/api/v1/surveys/{survey_id}/questions/{question_id}"): (401, 403),
    ("DELETE", "/api/v1/surveys/{survey_id}/questions/{question_id}"): (401, 403),
    ("POST", "/api/v1/surveys/{survey_id}/sections"): (401, 403),
    ("PATCH", "/api/v1/surveys/{survey_id}/sections/{section_id}"): (401, 403),
    ("DELETE", "/api/v1/surveys/{survey_id}/sections/{section_id}"): (401, 403),
    ("POST", "/api/v1/surveys/{survey_id}/responses"): (422, 422),
    ("POST", "/api/v1/instruments/nps"): (401, 422),
    ("POST", "/api/v1/instruments/servqual"): (401, 422),
    ("POST", "/api/v1/articles"): (401, 422),
    ("PATCH", "/api/v1/articles/{article_id}"): (401, 422),
    ("DELETE", "/api/v1/articles/{article_id}"): (401, 403),
    ("POST", "/api/v1/articles/{article_id}/restore"): (401, 422),
    ("POST", "/api/v1/articles/{article_id}/publish"): (401, 422),
    ("POST", "/api/v1/articles/{article_id}/transition"): (401, 422),
    ("POST", "/api/v1/articles/{article_id}/feedback"): (401, 422),
    ("POST", "/api/v1/articles/{article_id}/uses"): (401, 422),
    ("POST", "/api/v1/knowledge/problems/{problem_id}/publish-workaround"): (401, 403),
    ("POST", "/api/v1/knowledge/synonyms"): (401, 422),
    ("DELETE", "/api/v1/knowledge/synonyms/{synonym_id}"): (401, 404),
    ("POST", "/api/v1/workforce/erlang"): (401, 422),
    ("POST", "/api/v1/workforce/forecast"): (401, 403),
    ("POST", "/api/v1/workforce/simulate"): (401, 422),
    ("POST", "/api/v1/workforce/queues"): (401, 422),
    ("PATCH", "/api/v1/workforce/queues/{queue_id}"): (401, 422),
    ("DELETE", "/api/v1/workforce/queues/{queue_id}"): (401, 403),
    ("PUT", "/api/v1/workforce/agents/{agent_id}/presence"): (401, 422),
    ("POST", "/api/v1/workforce/routing/next"): (401, 422),
    ("POST", "/api/v1/analytics/refresh"): (401, 403),
    ("POST", "/api/v1/quality/qa/rubrics"): (401, 422),
    ("POST", "/api/v1/quality/qa/evaluations"): (401, 422),
    ("POST", "/api/v1/quality/qa/evaluations/{evaluation_id}/dispute"): (401, 422),
    ("POST", "/api/v1/quality/qa/evaluations/{evaluation_id}/resolve"): (401, 422),
    ("POST", "/api/v1/quality/qa/calibrations"): (401, 422),
    ("POST", "/api/v1/quality/targets"): (401, 422),
    ("POST", "/api/v1/quality/targets/{target_id}/decompose"): (401, 422),
    ("POST", "/api/v1/quality/improvement-actions"): (401, 422),
    ("POST", "/api/v1/quality/improvement-actions/{action_id}/move"): (401, 422),
    ("POST", "/api/v1/reports/pivot"): (401, 403),
    ("POST", "/api/v1/reports/saved"): (401, 422),
    ("DELETE", "/api/v1/reports/saved/{report_id}"): (401, 403),
}

# Reached without signing in, on purpose (everything else must answer 401 to anonymous).
PUBLIC_OPERATIONS = {
    ("GET", "/api/v1/health"),
    # The survey app's answering API for public links: the signed form key is the credential.
    ("GET", "/api/v1/surveys/{survey_id}/responses/form"),
    ("POST", "/api/v1/surveys/{survey_id}/responses"),
}
# What a portal customer may call successfully with a token (everything else: 4xx).
CUSTOMER_OPERATIONS = PUBLIC_OPERATIONS | {
    ("GET", "/api/v1/accounts/me"),
    ("GET", "/api/v1/accounts/tokens"),
    ("GET", "/api/v1/articles"),  # public articles only (internal ones answer 404)
    ("GET", "/api/v1/sla-policies/expected-response"),
}


def operations():
    """(method, path template, operation) for every operation in the OpenAPI schema."""
    schema = api.get_openapi_schema()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def _url(world, path: str) -> str:
    def fill(match):
        name = match.group(1)
        if name not in PARAMS:
            raise AssertionError(f"{path}: add the path parameter {name!r} to PARAMS")
        return str(resolve(world, PARAMS[name]))

    return re.sub(r"\{(\w+)\}", fill, path)


@pytest.fixture
def world(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LANGUAGE_CODE = "en"
    return build_world(make_user)


def test_every_operation_is_in_the_tables():
    ops = {(method, path) for method, path, _op in operations()}
    reads = {("GET", path) for path in READ_STATUS}
    missing = sorted(ops - reads - set(WRITE_STATUS))
    assert not missing, f"operations with no entry in READ_STATUS/WRITE_STATUS: {missing}"
    gone = sorted((reads | set(WRITE_STATUS)) - ops)
    assert not gone, f"the tables list operations that no longer exist: {gone}"


def _call(client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    return client.generic(method, url, "{}", content_type="application/json")


def test_every_operation_as_every_role(world):
    clients = {role: world.api_client(role) for role in ROLES}
    wrong = []
    for method, path, _op in operations():
        url = _url(world, path)
        if method == "GET":
            expected = READ_STATUS.get(path)
            roles = ROLES
        else:
            expected = WRITE_STATUS.get((method, path))
            roles = ROLES[:2]  # anonymous and customer; staff writes would change the world
        if expected is None:
            continue  # reported by test_every_operation_is_in_the_tables
        got = tuple(_call(clients[role], method, url).status_code for role in roles)
        if got != tuple(expected):
            wrong.append(f"{method} {path}: expected {tuple(expected)}, got {got}")
        public = (method, path) in PUBLIC_OPERATIONS
        if not public and got[0] != 401:
            wrong.append(f"{method} {path}: anonymous got {got[0]}, not 401")
        if (method, path) not in CUSTOMER_OPERATIONS and got[1] < 400:
            wrong.append(f"{method} {path}: a portal customer got {got[1]}")
    assert not wrong, "\n".join(wrong)


def test_idor_through_the_api(world):
    """Valid requests on someone else's objects: refused, and nothing changes."""
    from kefu.tickets.models import Message

    agent = world.api_client("agent")  # team A
    alice = world.api_client("customer")
    ticket_b = world.objects["ticket_b"]
    before = Message.objects.filter(ticket=ticket_b).count()
    reply = {"kind": "note", "body": "I should not be able to write this"}
    url = f"/api/v1/tickets/{ticket_b.pk}/messages"
    assert agent.post(url, reply, content_type="application/json").status_code == 404
    assert alice.post(url, reply, content_type="application/json").status_code in (403, 404)
    patch = {"version": ticket_b.version, "priority": "urgent"}
    response = agent.patch(f"/api/v1/tickets/{ticket_b.pk}", patch, content_type="application/json")
    assert response.status_code == 404
    assert Message.objects.filter(ticket=ticket_b).count() == before
    ticket_b.refresh_from_db()
    assert ticket_b.priority != "urgent"
    # the same agent reads its own team's ticket: the refusal is about the team
    assert (
        world.api_client("agent").get(f"/api/v1/tickets/{world.objects['ticket_a'].pk}").status_code
        == 200
    )
    # Alice's own token cannot read Bob's survey answers or internal articles
    survey = world.objects["survey"]
    assert alice.get(f"/api/v1/surveys/{survey.pk}/responses").status_code == 403
    internal = world.objects["internal_article"]
    assert alice.get(f"/api/v1/articles/{internal.pk}").status_code == 404
