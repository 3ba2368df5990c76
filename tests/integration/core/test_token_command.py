"""`parking token create|list|revoke` on a real instance: the token is printed once and stored as its
hash, the list never shows it, revoking takes an id or a prefix, and times are in PARKING_TIMEZONE.
The commands run at a fixed moment, given as click's context object (``obj={"clock": ...}``)."""

from __future__ import annotations

import hashlib
import json
import re

from click.testing import CliRunner, Result
from sqlalchemy import select

from parking.cli import main
from parking.models import ApiToken, AuditEvent
from parking.runtime import Runtime
from tests.conftest import FIXED_NOW, Clock

TOKEN = re.compile(r"pk_[A-Za-z0-9_-]{32}")
NOTICE = "Store it now: it is shown only this once. Send it as 'Authorization: Bearer <token>'.\n"


def env_for(settings) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        "PARKING_INSTANCE_PATH": str(settings.instance_path),
        "PARKING_DATABASE_URL": settings.database_url,
        "PARKING_REDIS_URL": settings.redis_url,
    }


def run(settings, *args: str, clock: Clock | None = None) -> Result:  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["token", *args], env=env_for(settings), obj={"clock": clock or Clock()}, prog_name="parking")


def test_create_prints_the_token_once_and_stores_only_its_hash(settings, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    result = run(settings, "create", "--name", "ETCP bridge", "--scope", "lanes:write", "--scope", "availability:read", "--expires-days", "30")
    assert result.exit_code == 0, result.output
    summary, secret = result.stdout.splitlines()
    assert TOKEN.fullmatch(secret)
    assert summary == f"token 1 {secret[:11]} (ETCP bridge): availability:read, lanes:write; expires 2026-12-25T17:30:00+08:00"
    assert result.stderr == NOTICE
    with runtime.sessions() as db:
        row = db.scalars(select(ApiToken)).one()
        audit = db.scalars(select(AuditEvent)).one()
    assert (row.token_hash, row.prefix, row.created_by_id) == (hashlib.sha256(secret.encode()).hexdigest(), secret[:11], None)
    assert (audit.action, audit.operator_id, audit.at) == ("token.create", None, FIXED_NOW)
    assert secret not in json.dumps(audit.detail)


def test_create_as_json_carries_the_token_for_scripts(settings) -> None:  # type: ignore[no-untyped-def]
    result = run(settings, "create", "--name", "night export", "--scope", "sessions:read", "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert TOKEN.fullmatch(shown.pop("token"))
    assert shown == {"id": 1, "name": "night export", "prefix": shown["prefix"], "scopes": ["sessions:read"], "state": "active",
                     "created_at": "2026-11-25T17:30:00+08:00", "expires_at": None, "revoked_at": None, "last_used_at": None}


def test_list_shows_every_token_with_its_state_and_never_a_token(settings) -> None:  # type: ignore[no-untyped-def]
    first = run(settings, "create", "--name", "first", "--scope", "lots:read", "--expires-days", "1").stdout.splitlines()[1]
    second = run(settings, "create", "--name", "second", "--scope", "admin").stdout.splitlines()[1]
    run(settings, "revoke", "2")
    listed = run(settings, "list", "--json", clock=Clock(FIXED_NOW.replace(day=27)))
    assert listed.exit_code == 0, listed.output
    assert [(t["id"], t["name"], t["prefix"], t["scopes"], t["state"], t["expires_at"], t["revoked_at"]) for t in json.loads(listed.stdout)] == [
        (1, "first", first[:11], ["lots:read"], "expired", "2026-11-26T17:30:00+08:00", None),
        (2, "second", second[:11], ["admin"], "revoked", None, "2026-11-25T17:30:00+08:00"),
    ]
    table = run(settings, "list")
    assert table.exit_code == 0, table.output
    for token in (first, second):
        assert token not in listed.output + table.output
        assert hashlib.sha256(token.encode()).hexdigest() not in listed.output + table.output


def test_revoke_by_prefix_then_again_says_it_already_was(settings, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    secret = run(settings, "create", "--name", "gate bridge", "--scope", "lanes:write").stdout.splitlines()[1]
    revoked = run(settings, "revoke", secret[:11])
    assert (revoked.exit_code, revoked.output) == (0, f"revoked token 1 {secret[:11]} (gate bridge) at 2026-11-25T17:30:00+08:00\n")
    later = Clock()
    later.advance(hours=2)
    again = run(settings, "revoke", "1", clock=later)
    assert (again.exit_code, again.output) == (0, f"token 1 {secret[:11]} (gate bridge) was already revoked at 2026-11-25T17:30:00+08:00\n")
    with runtime.sessions() as db:
        assert [e.action for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))] == ["token.create", "token.revoke"]


def test_revoking_no_such_token_is_a_usage_error_naming_it(settings) -> None:  # type: ignore[no-untyped-def]
    run(settings, "create", "--name", "x", "--scope", "lots:read")
    for ref, message in (("7", "no token with id 7"), ("pk_zzzzzzzz", "no token with the prefix pk_zzzzzzzz"),
                         ("gate", "'gate' is neither a token id nor a token prefix such as pk_Ab3dE9xZ")):
        result = run(settings, "revoke", ref)
        assert result.exit_code == 2, ref
        assert f"Error: Invalid value for ID|PREFIX: {message}" in result.output


def test_an_unknown_scope_is_refused_listing_the_scopes(settings, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    result = run(settings, "create", "--name", "x", "--scope", "gates:open")
    assert result.exit_code == 2
    assert ("Error: Invalid value for '--scope': 'gates:open' is not one of 'availability:read', 'lots:read', 'sessions:read', "
            "'passes:read', 'passes:write', 'lanes:read', 'lanes:write', 'payments:read', 'payments:write', 'reports:read', 'shifts:read', 'shifts:write', 'coupons:read', 'coupons:write', 'admin'.") in result.output
    with runtime.sessions() as db:
        assert db.scalars(select(ApiToken)).all() == []


def test_a_blank_name_and_days_out_of_range_are_usage_errors(settings) -> None:  # type: ignore[no-untyped-def]
    blank = run(settings, "create", "--name", "  ", "--scope", "admin")
    assert blank.exit_code == 2
    assert "Error: Invalid value for --name: must not be empty: say what the token is for, e.g. the integration's name" in blank.output
    days = run(settings, "create", "--name", "x", "--scope", "admin", "--expires-days", "0")
    assert days.exit_code == 2
    assert "Invalid value for '--expires-days': 0 is not in the range 1<=x<=3650." in days.output


def test_every_token_command_has_help() -> None:
    for args in (["token", "--help"], ["token", "create", "--help"], ["token", "list", "--help"], ["token", "revoke", "--help"]):
        result = CliRunner().invoke(main, args, prog_name="parking")
        assert result.exit_code == 0, args
        assert "Usage: parking token" in result.output


def test_on_a_database_that_is_not_migrated_it_says_what_to_run(tmp_path, redis_url) -> None:  # type: ignore[no-untyped-def]
    env = {"PARKING_INSTANCE_PATH": str(tmp_path), "PARKING_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite'}", "PARKING_REDIS_URL": redis_url}
    for args in (["token", "list"], ["token", "create", "--name", "x", "--scope", "admin"], ["token", "revoke", "1"]):
        result = CliRunner().invoke(main, args, env=env)
        assert result.exit_code == 1, args
        assert "run `parking db upgrade`" in result.output
