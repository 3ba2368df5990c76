"""``/api/v1/audit``: the audit log, for administrators and auditors (or a token with the ``admin`` scope).

The same rows and filters as the console's page (``web.console.audit_log``), from the same query
(``parking.services.audit_queries``): the operator (``-`` for the rows of no operator), an action prefix,
a part of the target and a time range, here as ISO 8601 moments with their UTC offset (``from``
included, ``to`` excluded). Newest first and paged like the other lists: a page past the end is empty.
An operator filter naming no account is a 422 naming ``operator``, as the page refuses it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from parking.models import AuditEvent
from parking.services import audit_queries
from parking.services.audit_queries import AuditQuery

from ..auth.roles import roles_required
from ..context import db
from ..queries import paginate
from ..schemas.audit import AuditPageSchema, AuditQuerySchema
from ..schemas.errors import ErrorSchema
from . import bp
from .errors import abort_json


def _shown(event: AuditEvent, username: str | None) -> dict[str, Any]:
    return {"id": event.id, "at": event.at, "operator_id": event.operator_id, "operator": username, "action": event.action,
            "target": event.target, "remote_addr": event.remote_addr, "detail": event.detail or {}}


@bp.route("/audit", methods=["GET"])
@roles_required("admin", "auditor", scope="admin")
@bp.arguments(AuditQuerySchema, location="query", as_kwargs=True)
@bp.response(200, AuditPageSchema)
@bp.alt_response(422, schema=ErrorSchema, description="A bad filter or page (`field` says which), or an operator that does not exist")
@bp.doc(tags=["audit"], summary="The audit log, newest first: who did what, on what, from where and when")
def audit_log(page: int, per_page: int, operator: str = "", action: str = "", target: str = "", since: datetime | None = None,
              until: datetime | None = None) -> Any:
    chosen = AuditQuery(operator=operator.strip(), action=action.strip(), target=target.strip(), since=since, until=until)
    if chosen.operator and not audit_queries.operator_known(db(), chosen.operator):
        abort_json(422, f"operator: no operator {chosen.operator!r}", field="operator")
    query = audit_queries.select_events(chosen)
    counted = paginate(db(), query.with_only_columns(AuditEvent.id), page, per_page)
    rows = audit_queries.events_by_id(db(), query, counted.items)
    return {"items": [_shown(event, username) for event, username in rows], "page": counted.page, "per_page": counted.per_page,
            "total": counted.total, "pages": counted.pages}
