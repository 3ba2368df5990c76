"""What a lot knows about plates, cached in Redis so that a lane decision never waits on SQL.

Per lot, four hashes keyed by plate hold the passes (with their plates), the whitelist/blacklist
entries (the lot's and the global ones), the registered visitors that can still matter, and what a plate
owes from earlier stays in any lot (``arrears``: one document ``{"owed_fen", "count"}``), each as a JSON
list of documents. ``replace`` writes all four in one MULTI/EXEC, so a lane never sees a half-written
cache; ``set_owed`` changes one plate's arrears in every lot at once, when money is owed or paid back; ``for_plate`` reads everything about one plate, and optionally its open session, in
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

FACT_KINDS = ("lists", "passes", "visitors", "arrears")
FactDocs = dict[str, list[dict[str, Any]]]  # kind ("lists", "passes", "visitors", "arrears") -> documents


@dataclass(frozen=True)
class PlateFacts:
    lists: tuple[ListFact, ...]
    passes: tuple[PassFact, ...]
    visitors: tuple[VisitorFact, ...]
    session: dict[str, Any] | None = None
    arrears_fen: int = 0  # owed from earlier stays, in any lot


def facts_from_docs(lists: Iterable[dict[str, Any]], passes: Iterable[dict[str, Any]], visitors: Iterable[dict[str, Any]],
                    session: dict[str, Any] | None = None, arrears: Iterable[dict[str, Any]] = ()) -> PlateFacts:
    return PlateFacts(
        lists=tuple(ListFact(d["kind"], d["reason"], datetime.fromisoformat(d["expires_at"]) if d.get("expires_at") else None) for d in lists),
        passes=tuple(PassFact.from_json(d) for d in passes),
        visitors=tuple(VisitorFact(d["host"], datetime.fromisoformat(d["valid_from"]), datetime.fromisoformat(d["valid_until"])) for d in visitors),
        session=session,
        arrears_fen=sum(int(d.get("owed_fen", 0)) for d in arrears),
    )


def owed_docs(owed_fen: int, count: int) -> list[dict[str, Any]]:
    """The ``arrears`` documents of a plate that owes ``owed_fen`` over ``count`` stays (none when it owes nothing)."""
    return [{"owed_fen": int(owed_fen), "count": int(count)}] if owed_fen > 0 else []


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
            pipe.hget(keys.arrears, plate)
            if with_session:
                pipe.hget(keys.open_sessions, plate)
            replies = pipe.execute()
        session = json.loads(replies[4]) if with_session and replies[4] else None
        return facts_from_docs(_load(replies[0]), _load(replies[1]), _load(replies[2]), session, _load(replies[3]))

    def set_owed(self, lot_ids: Iterable[int], plate: str, owed_fen: int, count: int) -> None:
        """What ``plate`` owes from earlier stays, told to every lot in ``lot_ids`` (0: it owes nothing)."""
        docs = owed_docs(owed_fen, count)
        with self._redis.pipeline(transaction=False) as pipe:
            for lot_id in lot_ids:
                if docs:
                    pipe.hset(LotKeys(lot_id).arrears, plate, json.dumps(docs))
                else:
                    pipe.hdel(LotKeys(lot_id).arrears, plate)
            pipe.execute()

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
