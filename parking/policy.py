"""A lot's policies, read from ``Lot.settings`` (JSON) into one validated value.

Every key is optional; a wrong value raises ``PolicyError`` naming the key, what it got and what it takes,
and so does a key nobody reads (a misspelt ``zombi_days`` would otherwise be dropped without a word).
Besides the policies, ``settings`` holds the keys of ``OTHER_SETTINGS``, read by other modules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any


class PolicyError(ValueError):
    """A lot setting has a value the system cannot use."""


CHOICES: dict[str, tuple[str, ...]] = {
    "pool_overflow": ("temporary", "refuse", "wait"),
    "anti_passback": ("off", "soft", "hard"),
    "no_entry_record": ("hold", "flat_fee"),
    "temporary_vehicles": ("admit", "refuse"),
    "offline_temporary": ("admit", "refuse"),
    "offline_exit": ("open", "hold"),
    "arrears_entry": ("admit", "refuse"),
}

# The reasons an attendant may give for letting a car out free (免费放行原因), unless the lot lists its own.
FREE_RELEASE_REASONS: tuple[str, ...] = ("特种车辆（消防、救护、警车）", "军警车辆", "场内工作车辆", "设备故障", "领导批准", "其他")
LIST_MAX_ITEMS = 20
LIST_ITEM_MAX_CHARS = 40


# Keys of ``Lot.settings`` that are not policies but are read elsewhere, with where.
OTHER_SETTINGS: dict[str, str] = {
    "tariff": "the code of the tariff the lot bills by (parking.services.tariffs.active_version)",
}


@dataclass(frozen=True)
class LotPolicy:
    # An enterprise pool or one-space-many-cars pass whose spaces are all taken: the next car is
    # admitted as temporary, refused, or asked to wait for a space of its pass.
    pool_overflow: str = "temporary"
    # A pass holder read at an entry while its pass already has the car inside.
    anti_passback: str = "soft"
    # An exit read with no entry record: hold for an attendant, or charge a flat fee and open.
    no_entry_record: str = "hold"
    no_entry_fee_fen: int = 0
    # Closed communities refuse unregistered temporary vehicles; registered visitors still enter.
    temporary_vehicles: str = "admit"
    # While the agent cannot reach Redis (脱机运行): temporary vehicles are admitted or refused at the
    # entry, and cars that would owe a fee are let out (the fee is then an arrear) or held for an attendant.
    offline_temporary: str = "admit"
    offline_exit: str = "hold"
    renewal_grace_days: int = 3
    expiry_warning_days: int = 7
    zombie_days: int = 30
    # Reads a lane holds for an attendant instead of deciding: below this confidence (0-100; cameras
    # that report none send 0), or an offline record whose camera clock is more than
    # ``clock_skew_seconds`` ahead of ours, older than ``offline_max_age_days``, or before the lot existed.
    min_confidence: int = 50
    clock_skew_seconds: int = 300
    offline_max_age_days: int = 30
    # A fee above this many fen is shown to an attendant to confirm instead of asked at the gate
    # (a camera clock gone wrong must not bill a car for decades); 0 turns the check off.
    max_fee_fen: int = 100_000
    # A car whose plate owes money from an earlier stay (欠费): admitted with the amount shown and asked
    # for it at the exit together with the new fee, or refused at the entry until it is paid.
    arrears_entry: str = "admit"
    # The reasons offered when an attendant lets a car out free; a free release always names one.
    free_release_reasons: tuple[str, ...] = FREE_RELEASE_REASONS

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> "LotPolicy":
        settings = dict(settings or {})
        known = policy_keys()
        unknown = sorted(str(key) for key in settings if key not in known and key not in OTHER_SETTINGS)
        if unknown:
            raise PolicyError(f"lot setting {unknown[0]!r} is not known; known settings: {', '.join(sorted(known | OTHER_SETTINGS.keys()))}")
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in settings:
                continue
            value = settings[f.name]
            if f.name == "free_release_reasons":
                value = _text_list(f.name, value)
            elif f.name in CHOICES:
                if value not in CHOICES[f.name]:
                    raise PolicyError(f"lot setting {f.name}={value!r}: expected one of {', '.join(CHOICES[f.name])}")
            elif not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise PolicyError(f"lot setting {f.name}={value!r}: expected a whole number of at least 0")
            values[f.name] = value
        return cls(**values)


def _text_list(name: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not value or len(value) > LIST_MAX_ITEMS:
        raise PolicyError(f"lot setting {name}: expected a list of 1 to {LIST_MAX_ITEMS} texts")
    items = []
    for item in value:
        if not isinstance(item, str) or not item.strip() or len(item.strip()) > LIST_ITEM_MAX_CHARS:
            raise PolicyError(f"lot setting {name}: {item!r} is not a text of 1 to {LIST_ITEM_MAX_CHARS} characters")
        items.append(item.strip())
    if len(set(items)) != len(items):
        raise PolicyError(f"lot setting {name}: a reason is listed twice")
    return tuple(items)


def policy_keys() -> frozenset[str]:
    """The names of every policy, in no particular order (``fields(LotPolicy)`` keeps their order)."""
    return frozenset(f.name for f in fields(LotPolicy))
