"""`parking operator ...` on a fresh install (no demo), and one clear line instead of a traceback for a
bad database URL, an unmigrated database, an unreachable Redis, a busy port and an unknown lot."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from parking import db as dbmod
from parking.cli import main
from parking.models import AuditEvent, Operator, Site
from parking.passwords import verify_password

from .test_cli import env_for

STRONG = "Gate-keeper 2026"


def run(settings, *args: str, input: str | None = None, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), input=input, env={**env_for(settings), **(env or {})}, prog_name="parking")


def operator(settings, username: str) -> Operator:  # type: ignore[no-untyped-def]
    engine = dbmod.make_engine(settings.database_url)
    try:
        with dbmod.make_session_factory(engine)() as db:
            found = db.scalar(select(Operator).where(Operator.username == username))
            assert found is not None
            found.sites  # noqa: B018  (loaded while the session is open)
            return found
    finally:
        engine.dispose()


def audit(settings) -> list[tuple[str, str, dict]]:  # type: ignore[no-untyped-def]
    engine = dbmod.make_engine(settings.database_url)
    try:
        with dbmod.make_session_factory(engine)() as db:
            return [(e.action, e.target, e.detail) for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    finally:
        engine.dispose()


def test_create_reads_the_password_from_stdin_on_a_fresh_install(settings) -> None:  # type: ignore[no-untyped-def]
    result = run(settings, "operator", "create", "chief", "--role", "admin", "--display-name", "站长", input=STRONG + "\n")
    assert result.exit_code == 0, result.output
    assert result.output == "created operator 'chief' (admin, all sites); the password must be changed at first sign-in\n"
    chief = operator(settings, "chief")
    assert (chief.role.value, chief.display_name, chief.active, chief.must_change_password) == ("admin", "站长", True, True)
    assert verify_password(chief.password_hash, STRONG)
    assert audit(settings) == [("operator.create", "chief", {
        "before": {},
        "after": {"username": "chief", "display_name": "站长", "role": "admin", "sites": [], "active": True, "must_change_password": True},
        "generated_password": False,
    })]


def test_password_stdin_flag_reads_one_line(settings) -> None:  # type: ignore[no-untyped-def]
    result = run(settings, "operator", "create", "auditor1", "--role", "auditor", "--password-stdin", input=STRONG + "\r\nignored\n")
    assert result.exit_code == 0, result.output
    assert verify_password(operator(settings, "auditor1").password_hash, STRONG)


def test_at_a_terminal_the_password_is_asked_twice(settings, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("parking.commands.operators._stdin_is_terminal", lambda: True)
    result = run(settings, "operator", "create", "chief", "--role", "admin", input=f"short\n{STRONG}\nsomething else\n{STRONG}\n{STRONG}\n")
    assert result.exit_code == 0, result.output
    assert "Error: password must have at least 10 characters, got 5" in result.output
    assert "Error: The two entered values do not match." in result.output
    assert verify_password(operator(settings, "chief").password_hash, STRONG)


@pytest.mark.parametrize(("password", "message"), [
    ("Ab1-xyz", "Error: password must have at least 10 characters, got 7\n"),
    ("onlylowercaseletters", "Error: password must mix at least two kinds of characters: lower-case letters, upper-case letters, digits, other characters\n"),
    ("Night.Guard", "Error: password must not be the user name\n"),
])
def test_a_password_against_the_policy_is_one_clear_line(settings, password: str, message: str) -> None:  # type: ignore[no-untyped-def]
    result = run(settings, "operator", "create", "night.guard", "--role", "attendant", input=password + "\n")
    assert result.exit_code == 1
    assert result.output == message
    assert audit(settings) == []


def test_generate_prints_a_temporary_password_once(settings) -> None:  # type: ignore[no-untyped-def]
    result = run(settings, "operator", "create", "booth", "--role", "attendant", "--generate")
    assert result.exit_code == 0, result.output
    first, second = result.output.splitlines()
    assert first == "created operator 'booth' (attendant, all sites); the password must be changed at first sign-in"
    temporary = second.removeprefix("temporary password (shown once): ")
    assert len(temporary) == 14
    assert verify_password(operator(settings, "booth").password_hash, temporary)
    assert temporary not in json.dumps(audit(settings), ensure_ascii=False)


def test_sites_bind_the_account_and_an_unknown_site_is_named(settings, village) -> None:  # type: ignore[no-untyped-def]
    bound = run(settings, "operator", "create", "booth", "--role", "attendant", "--site", "demo-village", "--generate")
    assert bound.exit_code == 0, bound.output
    assert bound.output.splitlines()[0] == "created operator 'booth' (attendant, demo-village); the password must be changed at first sign-in"
    assert [s.site_id for s in operator(settings, "booth").sites] == [village.site_id]
    unknown = run(settings, "operator", "create", "booth2", "--role", "attendant", "--site", "nowhere", "--generate")
    assert (unknown.exit_code, unknown.output) == (1, "Error: sites: no site 'nowhere' (sites: demo-village)\n")


def test_a_taken_or_malformed_user_name_is_refused_before_the_password_is_asked(settings) -> None:  # type: ignore[no-untyped-def]
    assert run(settings, "operator", "create", "chief", "--role", "admin", input=STRONG + "\n").exit_code == 0
    taken = run(settings, "operator", "create", "CHIEF", "--role", "manager")
    assert (taken.exit_code, taken.output) == (1, "Error: username: 'CHIEF' is already taken\n")
    spaced = run(settings, "operator", "create", "two words", "--role", "manager")
    assert (spaced.exit_code, spaced.output) == (1, "Error: username: 'two words' must be 2 to 64 letters, digits or . _ - @ (no spaces)\n")


def test_list_shows_roles_sites_state_and_last_sign_in_in_the_time_zone(settings, village) -> None:  # type: ignore[no-untyped-def]
    engine = dbmod.make_engine(settings.database_url)
    try:
        with dbmod.transaction(dbmod.make_session_factory(engine)) as db:
            db.scalar(select(Operator).where(Operator.username == "manager")).last_login_at = datetime(2026, 11, 25, 9, 30, tzinfo=timezone.utc)  # type: ignore[union-attr]
    finally:
        engine.dispose()
    run(settings, "operator", "create", "booth", "--role", "attendant", "--site", "demo-village", "--generate")
    result = run(settings, "operator", "list", "--json")
    assert result.exit_code == 0, result.output
    assert [(o["username"], o["role"], o["sites"], o["active"], o["must_change_password"], o["last_login_at"]) for o in json.loads(result.output)] == [
        ("admin", "admin", [], True, False, None),
        ("attendant", "attendant", [], True, False, None),
        ("booth", "attendant", ["demo-village"], True, True, None),
        ("manager", "manager", [], True, False, "2026-11-25T17:30:00+08:00"),
    ]
    table = run(settings, "operator", "list")
    assert table.exit_code == 0 and "2026-11-25 17:30" in table.output


def test_disable_enable_and_reset_password(settings, village) -> None:  # type: ignore[no-untyped-def]
    epoch = operator(settings, "attendant").session_epoch
    assert run(settings, "operator", "disable", "attendant").output == "disabled operator 'attendant'; every session of it has ended\n"
    assert (operator(settings, "attendant").active, operator(settings, "attendant").session_epoch) == (False, epoch + 1)
    assert run(settings, "operator", "disable", "attendant").output == "operator 'attendant' is already disabled\n"
    assert run(settings, "operator", "enable", "attendant").output == "enabled operator 'attendant'\n"
    reset = run(settings, "operator", "reset-password", "attendant", input=STRONG + "\n")
    assert reset.output == "password of 'attendant' reset; it must be changed at the next sign-in\n"
    after = operator(settings, "attendant")
    assert (after.active, after.must_change_password, after.session_epoch) == (True, True, epoch + 2)
    assert verify_password(after.password_hash, STRONG)
    assert [(action, target) for action, target, _ in audit(settings)] == [
        ("operator.disable", "attendant"), ("operator.enable", "attendant"), ("operator.reset_password", "attendant")]
    missing = run(settings, "operator", "disable", "nobody")
    assert (missing.exit_code, missing.output) == (1, "Error: username: no operator 'nobody'\n")


def test_set_changes_role_and_sites_and_keeps_one_administrator(settings, village) -> None:  # type: ignore[no-untyped-def]
    assert run(settings, "operator", "set", "attendant", "--role", "manager", "--site", "demo-village").output == \
        "operator 'attendant': manager, demo-village, shown as '岗亭值班员'\n"
    assert run(settings, "operator", "set", "attendant", "--all-sites").output == "operator 'attendant': manager, all sites, shown as '岗亭值班员'\n"
    last = run(settings, "operator", "set", "admin", "--role", "manager")
    assert (last.exit_code, last.output) == (1, "Error: 'admin' is the last active administrator; make another account an administrator first\n")
    disabled = run(settings, "operator", "disable", "admin")
    assert (disabled.exit_code, disabled.output) == (1, "Error: 'admin' is the last active administrator; make another account an administrator first\n")


# -- the surroundings ------------------------------------------------------------------------------
def test_a_bad_database_url_is_one_line(settings) -> None:  # type: ignore[no-untyped-def]
    for url, line in (
        ("nonsense", "Error: PARKING_DATABASE_URL='nonsense': not a database URL (e.g. sqlite:////srv/parking/parking.sqlite or postgresql+psycopg://user@host/db)\n"),
        ("foo://x/y", "Error: PARKING_DATABASE_URL='foo://x/y': not a kind of database this system knows (e.g. sqlite:////srv/parking/parking.sqlite or postgresql+psycopg://user@host/db)\n"),
        ("sqlite:////nonexistent/folder/parking.sqlite", "Error: the database sqlite:////nonexistent/folder/parking.sqlite cannot be used: unable to open database file\n"),
    ):
        for args in (["operator", "list"], ["db", "upgrade"], ["serve"], ["agent"], ["worker", "--once"]):
            result = run(settings, *args, env={"PARKING_DATABASE_URL": url})
            assert (result.exit_code, result.output) == (1, line), (url, args)


def test_an_unreachable_database_server_hides_the_password(settings) -> None:  # type: ignore[no-untyped-def]
    result = run(settings, "operator", "list", env={"PARKING_DATABASE_URL": f"postgresql+psycopg://parking:s3cret@127.0.0.1:{closed_port()}/parking"})
    assert result.exit_code == 1
    assert result.output.startswith("Error: the database postgresql+psycopg://parking:***@127.0.0.1:")
    assert "s3cret" not in result.output and len(result.output.splitlines()) == 1


def test_an_unmigrated_database_says_what_to_run(tmp_path, redis_url) -> None:  # type: ignore[no-untyped-def]
    env = {"PARKING_INSTANCE_PATH": str(tmp_path), "PARKING_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite'}", "PARKING_REDIS_URL": redis_url}
    for args in (["operator", "list"], ["operator", "create", "chief", "--role", "admin", "--generate"], ["serve"], ["agent"], ["worker", "--once"]):
        result = CliRunner().invoke(main, args, env=env)
        assert (result.exit_code, result.output) == (
            1, "Error: the database is at revision base (empty), this version of parking needs 0007: run `parking db upgrade`\n"), args


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_redis_stops_the_worker_with_one_line(settings, village) -> None:  # type: ignore[no-untyped-def]
    port = closed_port()
    result = run(settings, "worker", "--once", env={"PARKING_REDIS_URL": f"redis://:hidden@127.0.0.1:{port}/0"})
    assert result.exit_code == 1
    assert result.output == (f"Error: Redis (redis://:***@127.0.0.1:{port}/0) is unreachable: Error 111 connecting to 127.0.0.1:{port}. "
                             "Connection refused.; start it or correct PARKING_REDIS_URL\n")


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def test_a_busy_port_is_one_line_for_serve_and_agent(settings, busy_port: int) -> None:  # type: ignore[no-untyped-def]
    where = f"127.0.0.1:{busy_port}"
    serve = run(settings, "serve", env={"PARKING_WEB_BIND": where, "PARKING_LOG_LEVEL": "ERROR"})
    assert (serve.exit_code, serve.output) == (
        1, f"Error: cannot listen on {where} (PARKING_WEB_BIND): the address is already in use (is another parking process or program on that port?)\n")
    agent = run(settings, "agent", env={"PARKING_AGENT_BIND": where, "PARKING_LOG_LEVEL": "ERROR"})
    assert agent.exit_code == 1
    assert agent.output.endswith(
        f"Error: cannot listen on {where} (PARKING_AGENT_BIND): the address is already in use (is another parking process or program on that port?)\n")


def test_an_unknown_lot_is_named_with_the_lots_there_are(settings, village) -> None:  # type: ignore[no-untyped-def]
    result = run(settings, "zombies", "--lot", "nope")
    assert result.exit_code == 2
    assert "Error: Invalid value for --lot: no lot 'nope' (lots: hx-community, kj-office)" in result.output


def test_every_operator_command_has_help() -> None:
    for args in (["operator", "--help"], *[["operator", name, "--help"] for name in ("create", "list", "set", "disable", "enable", "reset-password")]):
        result = CliRunner().invoke(main, args, prog_name="parking")
        assert result.exit_code == 0, args
        assert "Usage: parking operator" in result.output


def test_the_demo_accounts_each_have_their_own_salted_hash(settings) -> None:  # type: ignore[no-untyped-def]
    from parking.seed import seed_demo

    engine = dbmod.make_engine(settings.database_url)
    try:
        with dbmod.transaction(dbmod.make_session_factory(engine)) as db:
            seed_demo(db, now=datetime(2026, 11, 25, tzinfo=timezone.utc), password="demo-password")
        with dbmod.make_session_factory(engine)() as db:
            accounts = list(db.scalars(select(Operator).order_by(Operator.id)))
            assert db.scalar(select(Site.code)) == "demo-village"
    finally:
        engine.dispose()
    assert [(o.username, o.must_change_password) for o in accounts] == [("admin", False), ("manager", False), ("attendant", False)]
    assert len({o.password_hash for o in accounts}) == 3
    assert all(verify_password(o.password_hash, "demo-password") for o in accounts)
