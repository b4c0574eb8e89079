"""API for the audit trail (read-only: there is no way to change or delete an event)."""

import datetime as dt

from ninja import Query, Router, Schema
from ninja.pagination import paginate

from kefu.api.pagination import PageNumberless
from kefu.core import selectors
from kefu.core.permissions import require_perm

router = Router(tags=["audit"])


class AuditEventOut(Schema):
    id: int
    at: dt.datetime
    actor_id: int | None
    actor_label: str
    action: str
    object_type: str
    object_id: str
    object_label: str
    changes: dict
    request_id: str


class AuditFilter(Schema):
    object_type: str | None = None
    object_id: str | None = None
    action: str | None = None
    actor_id: int | None = None


@router.get("", response=list[AuditEventOut])
@paginate(PageNumberless)
def audit_event_list(request, filters: Query[AuditFilter]):
    require_perm(request.user, "core.view_auditevent")
    return selectors.audit_event_list(**filters.dict())


ROUTERS = [("/audit-events", router)]
