"""Every page of Kefu called as every role: the outcome must match the allow-list below.

A new URL pattern that is not in ACCESS fails the test: decide who may open it, then add it.
Object ids in URLs point at *another* party's objects where that matters (team B's ticket for
the team-A agent, Bob's ticket, attachment and survey link for Alice): that is the IDOR check.
"""

from __future__ import annotations

import re

import pytest

from kefu.core.tests.access_matrix import REFUSED, classify, resolve, url_patterns
from kefu.core.tests.world import ROLES, build_world

STAFF = frozenset({"agent", "qa", "supervisor", "manager", "admin"})
SIGNED_IN = STAFF | {"customer"}
EVERYONE = SIGNED_IN | {"anonymous"}
LEADS = frozenset({"supervisor", "manager", "admin"})
MANAGERS = frozenset({"manager", "admin"})
ADMIN = frozenset({"admin"})
WORKERS = LEADS | {"agent"}
REVIEWERS = LEADS | {"qa"}
NOBODY = frozenset()  # the object in the URL does not exist in the test world: 404 for all

# Who may open each page (GET; for POST-only views: who is not refused up front).
# Ids in URLs are team B's ticket and Bob's objects (see PARAMS), hence e.g. the agent (team A)
# is refused on tickets:detail and the customer (Alice) on portal:detail.
ACCESS = {
    "core:home": STAFF,
    "core:search": STAFF,
    "core:settings": ADMIN,
    "core:audit-log": LEADS,
    "accounts:login": EVERYONE,
    "accounts:profile": SIGNED_IN,
    "accounts:password-change": SIGNED_IN,
    "accounts:token-create": SIGNED_IN,
    "accounts:token-revoke": ADMIN,
    "customers:list": STAFF,
    "customers:create": WORKERS,
    "customers:export": LEADS,
    "customers:detail": STAFF,
    "customers:edit": WORKERS,
    "customers:contact-add": SIGNED_IN,
    "customers:contact-remove": NOBODY,
    "customers:note-add": SIGNED_IN,
    "customers:data-export": ADMIN,
    "customers:erase": ADMIN,
    "customers:credit": LEADS,
    "customers:merge": LEADS,
    "customers:merge-detail": NOBODY,
    "customers:merge-undo": NOBODY,
    "customers:import": LEADS,
    "customers:import-detail": NOBODY,
    "customers:import-run": NOBODY,
    "customers:import-errors": NOBODY,
    "tickets:inbox": STAFF,
    "tickets:new": WORKERS,
    "tickets:bulk": WORKERS,
    "tickets:approvals": LEADS,
    "tickets:compensation-decide": NOBODY,
    "tickets:macros": WORKERS,
    "tickets:macro-new": LEADS,
    "tickets:macro-edit": NOBODY,
    "tickets:attachment": REVIEWERS,
    "tickets:detail": REVIEWERS,
    "tickets:reply": LEADS,
    "tickets:update": LEADS,
    "tickets:transition": LEADS,
    "tickets:stage": LEADS,
    "tickets:presence": REVIEWERS,
    "tickets:compensation": LEADS,
    "tickets:three-w": REVIEWERS,
    "tickets:ianar": LEADS,
    "tickets:follow-up": LEADS,
    "tickets:follow-up-done": LEADS,
    "tickets:opportunity": LEADS,
    "tickets:link": LEADS,
    "tickets:three-change": LEADS,
    "tickets:contact-failed": LEADS,
    "tickets:auto-assign": LEADS,
    "tickets:message-split": LEADS,
    "tickets:incident-attach": LEADS,
    "tickets:incident-broadcast": LEADS,
    "tickets:incident-solve": LEADS,
    "sla:home": LEADS,
    "sla:calendars": LEADS,
    "sla:calendar-new": ADMIN,
    "sla:calendar-edit": NOBODY,
    "sla:calendar-import": NOBODY,
    "sla:policies": LEADS,
    "sla:policy-new": ADMIN,
    "sla:policy-edit": NOBODY,
    "sla:policy-move": ADMIN,
    "sla:policy-reapply": NOBODY,
    "sla:rules": LEADS,
    "sla:rule-new": ADMIN,
    "sla:rule-edit": NOBODY,
    "sla:breach-reason": REVIEWERS,  # qa: redirected with a form error (posted empty)
    "sla:report": LEADS,
    "channels:home": LEADS,
    "channels:mailboxes": LEADS,
    "channels:mailbox-create": ADMIN,
    "channels:mailbox-edit": NOBODY,
    "channels:inbound": LEADS,
    "channels:inbound-detail": NOBODY,
    "channels:inbound-raw": NOBODY,
    "channels:inbound-retry": NOBODY,
    "channels:outbound": LEADS,
    "channels:outbound-retry": NOBODY,
    "channels:calls": WORKERS,
    "channels:webhooks": ADMIN,
    "channels:webhook-create": ADMIN,
    "channels:webhook-edit": NOBODY,
    "channels:deliveries": LEADS,
    "channels:delivery-replay": NOBODY,
    "portal:home": frozenset({"customer"}),
    "portal:new": frozenset({"customer"}),
    "portal:detail": NOBODY,
    "portal:reply": NOBODY,
    "portal:rate": NOBODY,
    "portal:attachment": NOBODY,
    "portal:login": frozenset({"anonymous"}),  # the signed-in go to their home page
    "portal:magic": EVERYONE,
    "portal:status": EVERYONE,
    "portal:status-file": EVERYONE,
    "surveys_public:answer": EVERYONE,
    "surveys:list": STAFF,
    "surveys:create": LEADS,
    "surveys:loyalty": STAFF,
    "surveys:waterfall": STAFF,
    "surveys:gaps": STAFF,
    "surveys:builder": STAFF,
    "surveys:question-add": LEADS,
    "surveys:question-edit": LEADS,
    "surveys:question-move": LEADS,
    "surveys:question-delete": LEADS,
    "surveys:section-add": LEADS,
    "surveys:section-edit": NOBODY,
    "surveys:publish": MANAGERS,
    "surveys:close": MANAGERS,
    "surveys:copy": LEADS,
    "surveys:preview": STAFF,
    "surveys:distribute": STAFF,
    "surveys:results": STAFF,
    "surveys:export": STAFF,
    "knowledge:list": STAFF,
    "knowledge:create": WORKERS,
    "knowledge:review": STAFF,
    "knowledge:synonyms": STAFF,
    "knowledge:synonym-delete": NOBODY,
    "knowledge:detail": STAFF,
    "knowledge:edit": WORKERS,
    "knowledge:transition": STAFF,
    "knowledge:versions": STAFF,
    "knowledge:restore": WORKERS,
    "knowledge:attachment-add": STAFF,
    "knowledge:attachment": NOBODY,
    "knowledge:attachment-remove": NOBODY,
    "knowledge:ticket-use": NOBODY,
    "knowledge:problems": WORKERS,
    "knowledge:problem-detail": NOBODY,
    "knowledge:problem-edit": NOBODY,
    "knowledge:problem-publish": NOBODY,
    "knowledge:kb": SIGNED_IN,
    "knowledge:kb-article": SIGNED_IN,
    "knowledge:kb-feedback": SIGNED_IN,
    "workforce:home": WORKERS,
    "workforce:staffing": LEADS,
    "workforce:forecast": LEADS,
    "workforce:simulation": LEADS,
    "workforce:simulation-run": NOBODY,
    "workforce:build-options": LEADS,
    "workforce:live": LEADS,
    "workforce:queues": LEADS,
    "workforce:queue-create": LEADS,
    "workforce:queue-edit": NOBODY,
    "workforce:queue-delete": NOBODY,
    "workforce:skill-create": LEADS,
    "workforce:agent-skill-set": LEADS,
    "workforce:presence": WORKERS,
    "workforce:presence-quick": WORKERS,
    "analytics:home": MANAGERS,
    "analytics:segments": MANAGERS,
    "analytics:profitability": MANAGERS,
    "analytics:service": MANAGERS,
    "analytics:export": NOBODY,
    "analytics:refresh": ADMIN,
    "quality:home": STAFF,
    "quality:drill": REVIEWERS,
    "quality:evaluations": STAFF,
    "quality:evaluation": NOBODY,
    "quality:evaluate": REVIEWERS,
    "quality:evaluate-ticket": REVIEWERS,
    "quality:rubrics": REVIEWERS,
    "quality:rubric": NOBODY,
    "quality:rubric-new": REVIEWERS,
    "quality:rubric-edit": NOBODY,
    "quality:calibrations": REVIEWERS,
    "quality:calibration": NOBODY,
    "quality:mystery": REVIEWERS,
    "quality:targets": REVIEWERS,
    "quality:actions": REVIEWERS,
    "quality:people": STAFF,
    "reports:home": LEADS,
    "reports:pivot": LEADS,
    "reports:export": LEADS,
    "reports:drill": LEADS,
    "reports:save": LEADS,
    "reports:saved": LEADS,
    "reports:saved_delete": NOBODY,
    "reports:churn": MANAGERS,
    "reports:churn_train": ADMIN,
    "reports:swot": LEADS,
    "reports:swot_add": MANAGERS,
    "reports:swot_delete": MANAGERS,
    "reports:swot_export": LEADS,
    "javascript-catalog": SIGNED_IN,
}

# Views that answer 5xx today; found by this test, owned by the app's author (see docs/security.md).
KNOWN_SERVER_ERRORS: set[str] = set()

# Form data that gets a POST past form validation, so the permission check itself is reached.
POST_DATA = {
    "customers:contact-add": {"kind": "email", "value": "intruder@example.com"},
    "customers:note-add": {"body": "written by someone who may not"},
}
# Sign-out would end the session mid-test; the language switch is Django's, public by design.
SKIPPED_NAMES = {"accounts:logout", "portal:logout", "set_language"}

# Which object each URL parameter names; (url name, parameter) overrides the parameter default.
# Values are world object names or model labels (the first row of that model) or literals.
PARAMS = {
    "token_id": "admin_token",
    "customer_id": "bob_customer",
    "contact_id": "customers.ContactPoint",
    "merge_id": "customers.MergeRecord",
    "job_id": "customers.ImportJob",
    "pk": "ticket_b",
    "follow_up_id": "tickets.FollowUp",
    "calendar_id": "sla.BusinessCalendar",
    "policy_id": "sla.SlaPolicy",
    "rule_id": "sla.EscalationRule",
    "mailbox_id": "channels.Mailbox",
    "inbound_id": "channels.InboundEmail",
    "outbound_id": "channels.OutboundEmail",
    "subscription_id": "channels.WebhookSubscription",
    "delivery_id": "channels.WebhookDelivery",
    "ticket_id": "ticket_b",
    "attachment_id": "attachment_b",
    "survey_id": "survey",
    "question_id": "surveys.Question",
    "synonym_id": "knowledge.Synonym",
    "article_id": "internal_article",
    "number": 1,
    "problem_id": "tickets.Problem",
    "run_id": "workforce.SimulationRun",
    "queue_id": "workforce.Queue",
    "state": "available",
    "key": "segments",
    "section_id": "surveys.Section",
    "fmt": "csv",
    "message_id": "message_b",
}
OVERRIDES = {
    ("tickets:compensation-decide", "pk"): "tickets.Compensation",
    ("tickets:macro-edit", "pk"): "tickets.Macro",
    ("tickets:attachment", "pk"): "attachment_b",
    ("portal:status", "token"): "status_token_b",
    ("portal:status-file", "token"): "status_token_b",
    ("portal:magic", "token"): "not-a-valid-token",
    ("surveys_public:answer", "token"): "invitation_b_token",
    ("knowledge:kb-article", "article_id"): "public_article",
    ("knowledge:kb-feedback", "article_id"): "public_article",
    ("quality:evaluation", "pk"): "quality.Evaluation",
    ("quality:rubric", "pk"): "quality.Rubric",
    ("quality:rubric-edit", "pk"): "quality.Rubric",
    ("quality:calibration", "pk"): "quality.CalibrationSession",
    ("reports:saved_delete", "pk"): "reports.SavedReport",
    ("reports:swot_delete", "pk"): "reports.SwotEntry",
}


def _value(world, name: str, param: str):
    spec = OVERRIDES.get((name, param), PARAMS.get(param))
    if spec is None:
        raise AssertionError(f"{name}: add the URL parameter {param!r} to PARAMS")
    return resolve(world, spec)


def _url(world, route: str, name: str) -> str:
    def fill(match):
        return str(_value(world, name, match.group(2)))

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", fill, route)


@pytest.fixture
def world(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LANGUAGE_CODE = "en"
    return build_world(make_user)


def _page_routes():
    for route, name in url_patterns():
        if route.startswith(("admin/", "api/v1/")) or name in SKIPPED_NAMES:
            continue
        yield route, name


def test_every_page_is_in_the_access_table():
    names = {name for _route, name in _page_routes()}
    missing = sorted(names - set(ACCESS))
    assert not missing, f"pages without an entry in ACCESS (decide who may open them): {missing}"
    assert not sorted(set(ACCESS) - names), "ACCESS lists pages that no longer exist"


def test_every_page_as_every_role(world):
    clients = {role: world.client(role) for role in ROLES}
    wrong = []
    for route, name in _page_routes():
        allowed = ACCESS.get(name)
        if allowed is None:
            continue  # reported by test_every_page_is_in_the_access_table
        url = _url(world, route, name)
        for role in ROLES:
            response = clients[role].get(url)
            if response.status_code == 405:
                if role in allowed:
                    continue  # POST-only and allowed: not posted, it would change the world
                response = clients[role].post(url, POST_DATA.get(name, {}))
            outcome = classify(response)
            if outcome == "error" and name in KNOWN_SERVER_ERRORS:
                continue
            expected_ok = role in allowed
            if outcome == "error" or (outcome in REFUSED) == expected_ok:
                wrong.append(f"{name} {url} as {role}: {response.status_code} ({outcome})")
            if role == "anonymous" and not expected_ok and outcome != "login":
                wrong.append(f"{name} as anonymous: {outcome}, expected the sign-in page")
    assert not wrong, "\n".join(wrong)


def test_idor_objects_of_others_are_refused(world):
    """The pairs the issue names, asserted one by one (the table covers them too)."""
    agent = world.client("agent")  # team A
    alice = world.client("customer")
    ticket_b = world.objects["ticket_b"]
    attachment_b = world.objects["attachment_b"]
    assert agent.get(f"/tickets/{ticket_b.pk}/").status_code in (403, 404)
    assert agent.get(f"/tickets/attachments/{attachment_b.pk}/").status_code in (403, 404)
    assert agent.post(f"/tickets/{ticket_b.pk}/reply/", {"body": "x"}).status_code in (403, 404)
    # Alice on Bob's request, Bob's attachment and Bob's survey results
    assert alice.get(f"/portal/r/{ticket_b.pk}/").status_code == 404
    assert alice.get(f"/portal/r/{ticket_b.pk}/files/{attachment_b.pk}/").status_code == 404
    ticket_a = world.objects["ticket_a"]
    assert alice.get(f"/portal/r/{ticket_a.pk}/files/{attachment_b.pk}/").status_code == 404
    assert alice.get(f"/portal/r/{ticket_a.pk}/").status_code == 200
    assert alice.get(f"/surveys/{world.objects['survey'].pk}/results/").status_code == 403
    # the agent of team B does see it (the refusal above is about the team, not the page)
    assert world.client("agent_b").get(f"/tickets/{ticket_b.pk}/").status_code == 200
