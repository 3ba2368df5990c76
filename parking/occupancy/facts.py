"""What a lot knows about plates, cached in Redis so that a lane decision never waits on SQL.

Per lot, three hashes keyed by plate hold the passes (with their plates), the whitelist/blacklist
entries (the lot's and the global ones) and the registered visitors that can still matter, each as a
JSON list of documents. ``replace`` writes all three in one MULTI/EXEC, so a lane never sees a
half-written cache; ``for_plate`` reads everything about one plate, and optionally its open session, in
one round trip; ``all`` copies the whole cache (for the agent's offline copy). Building the documents
from SQL is ``parking.services.lot_facts``' business, not this module's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis

from ..admission import ListFact, VisitorFact
from ..passes import PassFact
from .keys import LotKeys

FACT_KINDS = ("lists", "passes", "visitors")
FactDocs = dict[str, list[dict[str, Any]]]  # kind ("lists", "passes", "visitors") -> documents


@dataclass(frozen=True)
class PlateFacts:
    lists: tuple[ListFact, ...]
    passes: tuple[PassFact, ...]
    visitors: tuple[VisitorFact, ...]
    session: dict[str, Any] | None = None


def facts_from_docs(lists: Iterable[dict[str, Any]], passes: Iterable[dict[str, Any]], visitors: Iterable[dict[str, Any]],
                    session: dict[str, Any] | None = None) -> PlateFacts:
    return PlateFacts(
        lists=tuple(ListFact(d["kind"], d["reason"], datetime.fromisoformat(d["expires_at"]) if d.get("expires_at") else None) for d in lists),
        passes=tuple(PassFact.from_json(d) for d in passes),
        visitors=tuple(VisitorFact(d["host"], datetime.fromisoformat(d["valid_from"]), datetime.fromisoformat(d["valid_until"])) for d in visitors),
        session=session,
    )


def _load(raw: bytes | str | None) -> list[dict[str, Any]]:
    return json.loads(raw) if raw else []


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class PlateFactCache:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    def replace(self, lot_id: int, content: Mapping[str, Mapping[str, list[dict[str, Any]]]]) -> None:
        """Replace the lot's cache: ``content[kind][plate]`` is the list of documents of that kind."""
        keys = LotKeys(lot_id)
        with self._redis.pipeline(transaction=True) as pipe:
            for kind in FACT_KINDS:
                key = getattr(keys, kind)
                pipe.delete(key)
                docs = content.get(kind) or {}
                if docs:
                    pipe.hset(key, mapping={plate: json.dumps(list(d), ensure_ascii=False) for plate, d in docs.items()})
            pipe.execute()

    def for_plate(self, lot_id: int, plate: str, *, with_session: bool = False) -> PlateFacts:
        """Everything the lot knows about ``plate`` (and its open session), in one round trip."""
        keys = LotKeys(lot_id)
        with self._redis.pipeline(transaction=False) as pipe:
            pipe.hget(keys.lists, plate)
            pipe.hget(keys.passes, plate)
            pipe.hget(keys.visitors, plate)
            if with_session:
                pipe.hget(keys.open_sessions, plate)
            replies = pipe.execute()
        session = json.loads(replies[3]) if with_session and replies[3] else None
        return facts_from_docs(_load(replies[0]), _load(replies[1]), _load(replies[2]), session)

    def all(self, lot_id: int) -> dict[str, FactDocs]:
        """plate -> {kind: documents} for every plate the lot knows, in one round trip."""
        keys = LotKeys(lot_id)
        with self._redis.pipeline(transaction=False) as pipe:
            for kind in FACT_KINDS:
                pipe.hgetall(getattr(keys, kind))
            hashes = pipe.execute()
        found: dict[str, FactDocs] = {}
        for kind, content in zip(FACT_KINDS, hashes):
            for plate, raw in content.items():
                found.setdefault(_text(plate), {})[kind] = json.loads(raw)
        return found
