"""``/api/v1/lists``: whitelist and blacklist entries, per lot or for every lot (``lot_id`` null).

Every signed-in operator reads them (an attendant must see why a car is refused); administrators and
managers add, change and remove them (a token with ``passes:read`` / ``passes:write``). Changes go
through ``parking.services.lists``: the plate read by ``parking.plates.parse`` (an impossible plate is a
422 naming ``plate``), audited with who added it, and felt at the lanes at once. An operator bound to
sites sees their lots' entries and the global ones, and may change only their lots' entries.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from parking.models import ListEntry
from parking.services import lists
from parking.services.config_changes import ConfigChangeError

from ..auth.roles import roles_required
from ..auth.sites import lot_visible, visible_lot_ids
from ..auth.tokens import actor
from ..context import db, now, store
from ..extensions import csrf
from ..schemas.errors import ErrorSchema
from ..schemas.lists import ListEntryCreateSchema, ListEntrySchema, ListEntryUpdateSchema, ListQuerySchema
from . import bp
from .errors import abort_json

WRITERS = ("admin", "manager")


def _may_change(lot_id: int | None) -> bool:
    """A global entry concerns every lot: only an operator bound to no site may change one."""
    return visible_lot_ids() is None if lot_id is None else lot_visible(lot_id)


def _entry_or_404(entry_id: int, *, changing: bool = False) -> ListEntry:
    entry = db().get(ListEntry, entry_id)
    if entry is None or not (entry.lot_id is None or lot_visible(entry.lot_id)):
        abort_json(404, f"list entry {entry_id} not found", field="entry_id")
    if changing and not _may_change(entry.lot_id):
        abort_json(403, f"list entry {entry_id} applies to every lot; only an operator of every site may change it", field="entry_id")
    return entry


def _refuse(error: ConfigChangeError) -> Any:
    abort_json(409 if error.code == "list_duplicate" else 422, str(error), field=error.field)


@bp.route("/lists", methods=["GET"])
@roles_required(scope="passes:read")
@bp.arguments(ListQuerySchema, location="query", as_kwargs=True)
@bp.response(200, ListEntrySchema(many=True))
@bp.doc(tags=["lists"], summary="Whitelist and blacklist entries, newest first (a lot's with the global ones)")
def list_entries(lot_id: int | None = None, kind: str = "", q: str = "", include_expired: bool = False) -> Any:
    if lot_id is not None and not lot_visible(lot_id):
        abort_json(404, f"lot {lot_id} not found", field="lot_id")
    visible = visible_lot_ids()
    return lists.entries(db(), now=now(), lot_id=lot_id, lot_ids=None if visible is None else sorted(visible), kind=kind,
                         text_filter=q, include_expired=include_expired)


@bp.route("/lists", methods=["POST"])
@roles_required(*WRITERS, scope="passes:write")
@bp.arguments(ListEntryCreateSchema, location="json", as_kwargs=True)
@bp.response(201, ListEntrySchema)
@bp.alt_response(409, schema=ErrorSchema, description="The plate is on that list already")
@bp.alt_response(422, schema=ErrorSchema, description="A bad field: an impossible plate, no reason, an expiry in the past")
@bp.doc(tags=["lists"], summary="Put a plate on a lot's (or every lot's) whitelist or blacklist")
def add_list_entry(plate: str, kind: str, reason: str, lot_id: int | None = None, expires_at: datetime | None = None) -> Any:
    if lot_id is not None and not lot_visible(lot_id):
        abort_json(422, f"lot_id: no lot {lot_id}", field="lot_id")
    if not _may_change(lot_id):
        abort_json(403, "an entry for every lot needs an operator of every site; give lot_id", field="lot_id")
    try:
        entry = lists.add(db(), store(), lot_id=lot_id, plate=plate, kind=kind, reason=reason, expires_at=expires_at,
                          operator_id=actor()[0], now=now())
    except ConfigChangeError as error:
        _refuse(error)
    return entry, 201


@bp.route("/lists/<int:entry_id>", methods=["GET"])
@roles_required(scope="passes:read")
@bp.response(200, ListEntrySchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such entry")
@bp.doc(tags=["lists"], summary="One list entry")
def get_list_entry(entry_id: int) -> Any:
    return _entry_or_404(entry_id)


@bp.route("/lists/<int:entry_id>", methods=["PATCH"])
@roles_required(*WRITERS, scope="passes:write")
@bp.arguments(ListEntryUpdateSchema, location="json")
@bp.response(200, ListEntrySchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such entry")
@bp.doc(tags=["lists"], summary="Change an entry's reason or expiry (expires_at null: until removed)")
def update_list_entry(body: dict[str, Any], entry_id: int) -> Any:
    _entry_or_404(entry_id, changing=True)
    try:
        return lists.update(db(), store(), entry_id, operator_id=actor()[0], now=now(), **body)
    except ConfigChangeError as error:
        _refuse(error)


@bp.route("/lists/<int:entry_id>", methods=["DELETE"])
@roles_required(*WRITERS, scope="passes:write")
@bp.response(204)
@bp.alt_response(404, schema=ErrorSchema, description="No such entry")
@bp.doc(tags=["lists"], summary="Remove an entry from its list")
def delete_list_entry(entry_id: int) -> Any:
    _entry_or_404(entry_id, changing=True)
    lists.remove(db(), store(), entry_id, operator_id=actor()[0], now=now())
    return None


for _view in (add_list_entry, update_list_entry, delete_list_entry):
    csrf.exempt(_view)
