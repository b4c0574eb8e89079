import pytest

from kefu.core.audit import audit_record, diff
from kefu.core.models import AppendOnlyError, AuditEvent
from kefu.core.request_context import RequestContext, reset_request_context, set_request_context


def test_diff_lists_only_changed_fields():
    assert diff({"a": 1, "b": "x"}, {"a": 1, "b": "y", "c": None}) == {"b": ["x", "y"]}


def test_audit_record_keeps_actor_object_changes_and_request(make_user):
    actor = make_user("admin")
    token = set_request_context(RequestContext(request_id="req-123", ip_address="10.0.0.8"))
    try:
        event = audit_record(
            actor=actor, action="user.renamed", obj=actor, changes={"name": ["a", "b"]}
        )
    finally:
        reset_request_context(token)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.actor_id == actor.pk
    assert stored.actor_label == actor.username
    assert stored.object_type == "accounts.user"
    assert stored.object_id == str(actor.pk)
    assert stored.changes == {"name": ["a", "b"]}
    assert (stored.request_id, stored.ip_address) == ("req-123", "10.0.0.8")


def test_system_actor_is_labelled(db):
    event = audit_record(actor=None, action="sla.swept", object_type="sla.sweep", object_id="1")
    assert (event.actor_id, event.actor_label) == (None, "system")


def test_audit_events_cannot_be_changed_or_deleted(make_user):
    event = audit_record(actor=make_user(), action="x.done", object_type="x", object_id="1")
    event.action = "x.forged"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x.forged")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "x.done"


def test_audit_api_is_read_only(api_client):
    client, _user = api_client("admin")
    assert client.get("/api/v1/audit-events").status_code == 200
    assert (
        client.post("/api/v1/audit-events", {}, content_type="application/json").status_code == 405
    )
    assert client.delete("/api/v1/audit-events").status_code == 405


def test_admin_cannot_change_audit_events(make_user, client):
    admin = make_user("admin", is_staff=True, is_superuser=True)
    event = audit_record(actor=admin, action="x.done", object_type="x", object_id="1")
    client.force_login(admin)
    assert client.get(f"/admin/core/auditevent/{event.pk}/delete/").status_code == 403
    response = client.post(f"/admin/core/auditevent/{event.pk}/change/", {"action": "x.forged"})
    assert response.status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).action == "x.done"
