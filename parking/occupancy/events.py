"""The kinds of journal events and where each keeps the lane it happened at.

The Lua scripts keep an entry's lane in ``session``, an exit's in ``exit``, a move's in ``move``; events
journaled from Python carry ``lane`` at the top. The recorder stores the lane in ``lot_event.lane_id`` so
that "the latest read at this lane" is one indexed query.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Events that answer a plate read at a lane (the console's "latest read").
READ_KINDS = (
    "entered", "entry_refused", "exited", "exit_held", "exit_unmatched", "exit_ambiguous",
    "read_rejected", "read_held", "no_plate", "moved", "move_refused",
)

# Where each kind keeps the lane in its payload; the first path that holds a value wins.
LANE_PATHS: dict[str, tuple[tuple[str, ...], ...]] = {
    "entered": (("session", "lane"),),
    "entry_refused": (("lane",), ("attempt", "lane")),
    "exited": (("exit", "lane"),),
    "exit_unmatched": (("exit", "lane"),),
    "moved": (("move", "lane"),),
    "move_refused": (("lane",),),
    "superseded": (("session", "lane"),),
}
DEFAULT_LANE_PATHS: tuple[tuple[str, ...], ...] = (("lane",),)


def lane_of(kind: str, payload: Mapping[str, Any]) -> int | None:
    """The lane id an event names, or None."""
    for path in LANE_PATHS.get(kind, DEFAULT_LANE_PATHS):
        value: Any = payload
        for key in path:
            value = value.get(key) if isinstance(value, Mapping) else None
        if value is not None and str(value).isdigit():
            return int(value)
    return None
