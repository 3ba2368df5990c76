"""Integration tokens in SQL (``parking.services.tokens``): issued once and stored as a hash, found by id
or prefix, revoked for good, refused when malformed, unknown, revoked or expired, and stamped when used
at most once a minute; issuing and revoking are audited without the token."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from parking import db as dbmod
from parking.models import ApiToken, AuditEvent
from parking.services import audit
from parking.services.tokens import TokenError, TokenRejected, check_token, find_token, grants, issue_token, list_tokens, revoke_token, state
from tests.conftest import FIXED_NOW

TOKEN = re.compile(r"pk_[A-Za-z0-9_-]{32}")
SCOPE_LIST = "availability:read, lots:read, sessions:read, passes:read, passes:write, lanes:read, lanes:write, payments:read, payments:write, reports:read, shifts:read, shifts:write, coupons:read, coupons:write, admin"


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = dbmod.make_engine(database_url)
    try:
        yield dbmod.make_session_factory(engine)
    finally:
        engine.dispose()


def _issue(sessions: sessionmaker[Session], name: str = "ETCP bridge", scopes: tuple[str, ...] = ("lanes:read",), **kwargs):  # type: ignore[no-untyped-def]
    with sessions() as db:
        return issue_token(db, name=name, scopes=scopes, now=FIXED_NOW, **kwargs)


def test_a_token_is_pk_and_32_url_safe_characters_stored_only_as_its_sha256(sessions: sessionmaker[Session]) -> None:
    issued = _issue(sessions)
    assert TOKEN.fullmatch(issued.secret)
    with sessions() as db:
        row = db.scalars(select(ApiToken)).one()
        assert (row.name, row.prefix, row.scopes, row.created_at, row.expires_at) == ("ETCP bridge", issued.secret[:11], ["lanes:read"], FIXED_NOW, None)
        assert row.token_hash == hashlib.sha256(issued.secret.encode()).hexdigest()
        stored = [str(value) for value in db.execute(select(ApiToken.__table__)).one()]
    assert not any(issued.secret in value for value in stored)


def test_two_tokens_are_never_the_same(sessions: sessionmaker[Session]) -> None:
    assert _issue(sessions).secret != _issue(sessions).secret


def test_issuing_is_audited_with_name_prefix_and_scopes_but_never_the_token(sessions: sessionmaker[Session]) -> None:
    issued = _issue(sessions, scopes=("lanes:write", "availability:read"), expires_days=30, operator_id=None)
    with sessions() as db:
        event = db.scalars(select(AuditEvent)).one()
    assert (event.action, event.operator_id, event.target, event.at) == ("token.create", None, f"token 1 {issued.secret[:11]}", FIXED_NOW)
    assert event.detail == {"name": "ETCP bridge", "prefix": issued.secret[:11], "scopes": ["availability:read", "lanes:write"],
                            "expires_at": "2026-12-25T09:30:00+00:00"}
    assert issued.secret not in json.dumps(event.detail) and issued.row.token_hash not in json.dumps(event.detail)


def test_scopes_are_stored_once_each_in_the_order_of_the_scope_list(sessions: sessionmaker[Session]) -> None:
    issued = _issue(sessions, scopes=("lanes:write", "lots:read", "lanes:write"))
    assert issued.row.scopes == ["lots:read", "lanes:write"]


@pytest.mark.parametrize(("kwargs", "field", "message"), [
    ({"name": "  "}, "name", "must not be empty: say what the token is for, e.g. the integration's name"),
    ({"name": "x" * 101}, "name", "must be at most 100 characters, not 101"),
    ({"name": "a\x00b"}, "name", "must not hold control characters or lone surrogates"),
    ({"scopes": ()}, "scopes", f"give at least one scope; scopes are {SCOPE_LIST}"),
    ({"scopes": ("lanes:read", "gates:open")}, "scopes", f"unknown scope 'gates:open'; scopes are {SCOPE_LIST}"),
    ({"expires_days": 0}, "expires_days", "must be from 1 to 3650 days, not 0"),
    ({"expires_days": 3651}, "expires_days", "must be from 1 to 3650 days, not 3651"),
])
def test_a_bad_token_request_names_the_field_and_writes_nothing(sessions: sessionmaker[Session], kwargs, field: str, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TokenError) as raised:
        _issue(sessions, **kwargs)
    assert (raised.value.field, raised.value.message) == (field, message)
    with sessions() as db:
        assert (db.scalars(select(ApiToken)).all(), db.scalars(select(AuditEvent)).all()) == ([], [])


def test_admin_grants_every_scope_and_a_scope_only_itself() -> None:
    assert grants(["admin"], "payments:write") is True
    assert grants(["lanes:read"], "lanes:read") is True
    assert grants(["lanes:read"], "lanes:write") is False
    assert grants([], "lanes:read") is False


def test_a_token_is_found_by_id_by_prefix_and_by_the_whole_token(sessions: sessionmaker[Session]) -> None:
    issued = _issue(sessions)
    with sessions() as db:
        assert find_token(db, 1).id == 1
        assert find_token(db, "1").id == 1
        assert find_token(db, issued.secret[:11]).id == 1
        assert find_token(db, issued.secret[:6]).id == 1
        assert find_token(db, issued.secret).id == 1


@pytest.mark.parametrize(("ref", "message"), [
    ("7", "no token with id 7"),
    ("99999999999", "no token with id 99999999999"),
    ("2147483648", "no token with id 2147483648"),
    ("pk_", "'pk_' is neither a token id nor a token prefix such as pk_Ab3dE9xZ"),
    ("gates", "'gates' is neither a token id nor a token prefix such as pk_Ab3dE9xZ"),
    ("pk_%", "'pk_%' is neither a token id nor a token prefix such as pk_Ab3dE9xZ"),
])
def test_a_reference_to_no_token_says_so(sessions: sessionmaker[Session], ref: str, message: str) -> None:
    _issue(sessions)
    with sessions() as db, pytest.raises(TokenError) as raised:
        find_token(db, ref)
    assert (raised.value.field, raised.value.message) == ("token", message)


def test_a_prefix_naming_two_tokens_asks_for_the_id(sessions: sessionmaker[Session]) -> None:
    _issue(sessions)
    _issue(sessions)
    with sessions() as db:
        for row, prefix in zip(db.scalars(select(ApiToken).order_by(ApiToken.id)), ("pk_SameAAAA", "pk_SameBBBB")):
            row.prefix = prefix  # two tokens whose prefixes begin alike, as chance could make them
        db.commit()
        with pytest.raises(TokenError) as raised:
            find_token(db, "pk_Same")
    assert raised.value.message == "the prefix pk_Same names 2 tokens (ids 1, 2); give the id"


def test_a_revoked_token_is_refused_from_then_on_and_revoking_again_changes_nothing(sessions: sessionmaker[Session]) -> None:
    issued = _issue(sessions)
    later = FIXED_NOW + timedelta(hours=2)
    with sessions() as db:
        token = find_token(db, 1)
        assert revoke_token(db, token, now=later) is True
        assert revoke_token(db, token, now=later + timedelta(hours=1)) is False
        assert token.revoked_at == later
        assert state(token, later) == "revoked"
        with pytest.raises(TokenRejected) as raised:
            check_token(db, issued.secret, now=later)
        actions = [(e.action, e.target, e.at) for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert (raised.value.reason, raised.value.message) == ("revoked", f"API token {issued.secret[:11]} was revoked at 2026-11-25T11:30:00+00:00")
    assert actions == [("token.create", f"token 1 {issued.secret[:11]}", FIXED_NOW), ("token.revoke", f"token 1 {issued.secret[:11]}", later)]


def test_a_token_expires_at_its_moment(sessions: sessionmaker[Session]) -> None:
    issued = _issue(sessions, expires_days=30)
    expiry = FIXED_NOW + timedelta(days=30)
    with sessions() as db:
        assert check_token(db, issued.secret, now=expiry - timedelta(seconds=1)).id == 1
        with pytest.raises(TokenRejected) as raised:
            check_token(db, issued.secret, now=expiry)
        assert state(find_token(db, 1), expiry) == "expired"
    assert (raised.value.reason, raised.value.message) == ("expired", f"API token {issued.secret[:11]} expired at 2026-12-25T09:30:00+00:00")


@pytest.mark.parametrize(("presented", "reason", "message"), [
    ("", "malformed", "the bearer token is not a parking API token (pk_ and 32 characters)"),
    ("pk_short", "malformed", "the bearer token is not a parking API token (pk_ and 32 characters)"),
    ("pk_" + "A" * 31 + "!", "malformed", "the bearer token is not a parking API token (pk_ and 32 characters)"),
    ("pk_" + "A" * 32, "unknown", "unknown API token: it was mistyped, or never issued here"),
])
def test_a_token_that_was_never_issued_is_refused_with_the_reason(sessions: sessionmaker[Session], presented: str, reason: str, message: str) -> None:
    _issue(sessions)
    with sessions() as db, pytest.raises(TokenRejected) as raised:
        check_token(db, presented, now=FIXED_NOW)
    assert (raised.value.reason, raised.value.message) == (reason, message)


def test_use_is_stamped_at_most_once_a_minute(sessions: sessionmaker[Session]) -> None:
    issued = _issue(sessions)

    def used_at(moment: datetime) -> datetime | None:
        with sessions() as db:
            check_token(db, issued.secret, now=moment)
        with sessions() as db:
            return db.scalar(select(ApiToken.last_used_at))

    assert used_at(FIXED_NOW) == FIXED_NOW
    assert used_at(FIXED_NOW + timedelta(seconds=59)) == FIXED_NOW
    assert used_at(FIXED_NOW + timedelta(seconds=60)) == FIXED_NOW + timedelta(seconds=60)
    assert used_at(FIXED_NOW + timedelta(seconds=61)) == FIXED_NOW + timedelta(seconds=60)


def test_list_gives_every_token_oldest_first_revoked_ones_too(sessions: sessionmaker[Session]) -> None:
    _issue(sessions, name="first")
    _issue(sessions, name="second")
    with sessions() as db:
        revoke_token(db, find_token(db, 1), now=FIXED_NOW)
        assert [(t.id, t.name, state(t, FIXED_NOW)) for t in list_tokens(db)] == [(1, "first", "revoked"), (2, "second", "active")]


def test_rows_recorded_while_a_token_acts_name_it_and_no_operator(sessions: sessionmaker[Session]) -> None:
    acting = audit.set_acting_token(4, "ETCP bridge", "pk_Ab3dE9xZ")
    try:
        _issue(sessions, name="made by a token")
    finally:
        audit.reset_acting_token(acting)
    _issue(sessions, name="made afterwards")
    with sessions() as db:
        details = [(e.operator_id, e.detail.get("token")) for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert details == [(None, {"id": 4, "name": "ETCP bridge", "prefix": "pk_Ab3dE9xZ"}), (None, None)]


def test_times_are_aware_utc_on_the_way_back(sessions: sessionmaker[Session]) -> None:
    _issue(sessions, expires_days=1)
    with sessions() as db:
        row = find_token(db, 1)
    assert row.expires_at == datetime(2026, 11, 26, 9, 30, tzinfo=timezone.utc)
