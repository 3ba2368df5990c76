"""The ``parking`` command on a real instance folder: migrations and the lane listing."""

from __future__ import annotations

import json

from click.testing import CliRunner

from parking.cli import main


def env_for(settings) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        "PARKING_INSTANCE_PATH": str(settings.instance_path),
        "PARKING_DATABASE_URL": settings.database_url,
        "PARKING_REDIS_URL": settings.redis_url,
    }


def test_db_upgrade_reports_the_revision(settings):
    result = CliRunner().invoke(main, ["db", "upgrade"], env=env_for(settings))
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("database at revision 0007")


def test_lanes_json_lists_every_lane_with_lot_direction_and_camera(settings, village):
    result = CliRunner().invoke(main, ["lanes", "--json"], env=env_for(settings))
    assert result.exit_code == 0, result.output
    lanes = json.loads(result.output)
    assert [(l["code"], l["lot"], l["direction"], l["camera_serial"]) for l in lanes] == [
        ("east-in", "和谐里小区", "entry", "VZ-HX-EAST-IN"),
        ("north-in", "和谐里小区", "entry", "VZ-HX-NORTH-IN"),
        ("east-out", "和谐里小区", "exit", "VZ-HX-EAST-OUT"),
        ("inner-in", "和谐里小区", "entry", "VZ-HX-INNER-IN"),
        ("inner-out", "和谐里小区", "exit", "VZ-HX-INNER-OUT"),
        ("gate-in", "科技园办公楼停车场", "entry", "VZ-KJ-IN"),
        ("gate-out", "科技园办公楼停车场", "exit", "VZ-KJ-OUT"),
    ]


def test_a_bad_setting_is_a_clear_command_error(settings):
    result = CliRunner().invoke(main, ["lanes"], env={**env_for(settings), "PARKING_TIMEZONE": "Nowhere/None"})
    assert result.exit_code == 1
    assert "PARKING_TIMEZONE='Nowhere/None': not a known IANA time zone" in result.output


def test_every_command_has_help():
    runner = CliRunner()
    for args in (["--help"], ["demo", "--help"], ["agent", "--help"], ["worker", "--help"], ["serve", "--help"], ["db", "upgrade", "--help"], ["lanes", "--help"]):
        result = runner.invoke(main, args, prog_name="parking")
        assert result.exit_code == 0, args
        assert "Usage: parking" in result.output


def test_commands_on_a_database_that_is_not_migrated_say_what_to_run(tmp_path, redis_url):
    env = {"PARKING_INSTANCE_PATH": str(tmp_path), "PARKING_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite'}", "PARKING_REDIS_URL": redis_url}
    for args in (["lanes"], ["zombies"], ["tariff", "list"]):
        result = CliRunner().invoke(main, args, env=env)
        assert result.exit_code == 1, args
        assert "the database is at revision base (empty), this version of parking needs 0007: run `parking db upgrade`" in result.output
