"""The tariff that prices a lot and its published text (明码标价), as every screen shows it.

The console's tariff page, the resident page and ``/api/v1/lots/<id>/tariff`` all read the version
``parking.services.tariffs.active_tariff`` picks, the one the lanes bill by, and the text
``parking.tariffs.describe`` generates from its document, so no screen shows text written by hand that
could drift from the rule.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from parking.models import Tariff as TariffRow
from parking.services.tariffs import StoredTariffError, active_tariff
from parking.tariffs import Tariff, describe

log = logging.getLogger(__name__)

TEXT_LANGUAGES = ("zh-CN", "en")


@dataclass(frozen=True)
class PublishedTariff:
    """A stored tariff version with its text by language tag; ``text`` is empty when the stored document
    no longer loads (a page then shows the name alone)."""

    lot_id: int
    code: str
    version: int
    valid_from: datetime
    name: str
    document: dict[str, Any]
    text: dict[str, str] = field(default_factory=dict)

    def text_in(self, language: str) -> str:
        """The text in ``language``, a tag ("zh-CN") or a page language as ``web.i18n`` names it ("zh_CN")."""
        return self.text.get(language.replace("_", "-"), "")


def _published(lot_id: int, row: TariffRow, text: dict[str, str]) -> PublishedTariff:
    return PublishedTariff(lot_id, row.code, row.version, row.valid_from, row.name, dict(row.document), text)


def _texts(tariff: Tariff) -> dict[str, str]:
    return {language: describe(tariff, language) for language in TEXT_LANGUAGES}


def tariff_in_force(db: Session, lot_id: int, at: datetime) -> PublishedTariff | None:
    """The version that prices lot ``lot_id`` at ``at``, described in every language, or None.

    Raises ``StoredTariffError`` when the stored document of that version no longer loads."""
    found = active_tariff(db, lot_id, at)
    if found is None:
        return None
    row, tariff = found
    return _published(lot_id, row, _texts(tariff))


def shown_tariff(db: Session, lot_id: int, at: datetime) -> PublishedTariff | None:
    """As ``tariff_in_force``, for a page: a version that cannot be described is shown by its name,
    and logged, rather than taking the page down."""
    try:
        found = active_tariff(db, lot_id, at)
    except StoredTariffError as error:
        log.error("lot %s: tariff %s v%s no longer loads: %s", lot_id, error.code, error.version, error)
        row = db.scalar(select(TariffRow).where(TariffRow.code == error.code, TariffRow.version == error.version))
        return _published(lot_id, row, {}) if row is not None else None
    if found is None:
        return None
    row, tariff = found
    try:
        text = _texts(tariff)
    except Exception:  # a rule the text generator cannot word must not take the resident page down
        log.exception("lot %s: tariff %s v%s could not be described", lot_id, row.code, row.version)
        text = {}
    return _published(lot_id, row, text)
