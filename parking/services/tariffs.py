"""Tariff documents versioned in SQL: publishing a new version, listing versions, the one in force.

A tariff is a line of versions sharing a code (the document's `id`); each publication adds the next
version with the time it takes effect (`valid_from`), so a fee can always be recomputed under the
version that applied. A version belongs to one lot, or to every lot (`lot_id` NULL).

Which version prices a lot at a moment (`active_tariff`): among the versions of the lot and those of
every lot already valid then, the code named by the lot's `settings["tariff"]` if it has one,
otherwise any code; the lot's own versions before those of every lot; then the latest `valid_from`
and the highest version number.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..models import Lot, Tariff as TariffRow
from ..tariffs import Tariff, TariffError, load_tariff

__all__ = ["StoredTariffError", "active_tariff", "active_version", "publish_tariff", "tariff_versions"]

# the widths of the `tariff` table's columns
_CODE_LENGTH = 64
_NAME_LENGTH = 200


class StoredTariffError(TariffError):
    """A stored version whose document no longer loads; `code` and `version` say which one."""

    def __init__(self, row: TariffRow, error: TariffError) -> None:
        super().__init__(error.field, error.problem)
        self.code, self.version = row.code, row.version


def publish_tariff(
    db: Session, *, lot_id: int | None, document: Mapping[str, Any], valid_from: datetime, now: datetime
) -> TariffRow:
    """Store `document` as the next version of its code, in force from `valid_from`.

    Raises `TariffError` naming the field (of the document, or `lot_id`/`valid_from`) and writes
    nothing when the document does not validate, the lot does not exist, or `valid_from` lies
    before `now` (a version published today cannot reprice what was already charged).
    """
    if lot_id is not None and db.get(Lot, lot_id) is None:
        raise TariffError("lot_id", f"no lot {lot_id}")
    if valid_from.tzinfo is None or valid_from.utcoffset() is None:
        raise TariffError("valid_from", "must be a date and time with a time zone")
    if valid_from < now:
        raise TariffError("valid_from", f"{valid_from.isoformat()} is before now ({now.isoformat()}); a new version cannot apply to the past")
    tariff = load_tariff(document)
    if len(tariff.id) > _CODE_LENGTH:
        raise TariffError("id", f"must be at most {_CODE_LENGTH} characters, not {len(tariff.id)}")
    if len(tariff.name.zh) > _NAME_LENGTH:
        raise TariffError("name.zh-CN", f"must be at most {_NAME_LENGTH} characters, not {len(tariff.name.zh)}")
    latest = db.scalar(select(func.max(TariffRow.version)).where(TariffRow.code == tariff.id))
    row = TariffRow(
        lot_id=lot_id, code=tariff.id, version=(latest or 0) + 1, name=tariff.name.zh,
        document=dict(document), valid_from=valid_from, created_at=now,
    )
    db.add(row)
    db.flush()
    return row


def tariff_versions(db: Session, code: str) -> list[TariffRow]:
    """Every version of the tariff `code`, oldest first."""
    return list(db.scalars(select(TariffRow).where(TariffRow.code == code).order_by(TariffRow.version)))


def active_version(db: Session, lot_id: int, at: datetime) -> TariffRow | None:
    """The stored version that prices lot `lot_id` at `at`, or None (see the module docstring)."""
    lot = db.get(Lot, lot_id)
    if lot is None:
        return None
    valid = (
        select(TariffRow)
        .where(or_(TariffRow.lot_id == lot.id, TariffRow.lot_id.is_(None)), TariffRow.valid_from <= at)
        .order_by(TariffRow.lot_id.is_(None), TariffRow.valid_from.desc(), TariffRow.version.desc())
    )
    code = (lot.settings or {}).get("tariff")
    if code:
        chosen = db.scalars(valid.where(TariffRow.code == code)).first()
        if chosen is not None:
            return chosen
    return db.scalars(valid).first()


def active_tariff(db: Session, lot_id: int, at: datetime) -> tuple[TariffRow, Tariff] | None:
    """The version in force for lot `lot_id` at `at` and its validated `Tariff`, or None.

    Raises `StoredTariffError` when the stored document of that version no longer validates."""
    row = active_version(db, lot_id, at)
    if row is None:
        return None
    try:
        return row, load_tariff(row.document)
    except TariffError as exc:
        raise StoredTariffError(row, exc) from None
