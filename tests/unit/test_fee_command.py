"""`parking fee` prints a quote as a table or JSON."""

import json

from click.testing import CliRunner

from parking.commands.fee import fee
from parking.tariffs.examples import DIRECTORY

NANTONG = str(DIRECTORY / "08-nantong-class2.json")


def run(*args: str):
    return CliRunner().invoke(fee, list(args))


def test_fee_prints_a_table_with_the_total():
    result = run("--tariff", NANTONG, "--entry", "2024-05-06T09:00", "--exit", "2024-05-06T14:00")
    assert result.exit_code == 0, result.output
    assert "6.00" in result.output
    assert "合计" in result.output


def test_fee_as_json():
    result = run("--tariff", NANTONG, "--entry", "2024-05-06T09:00", "--exit", "2024-05-06T14:00", "--json")
    data = json.loads(result.output)
    assert (data["total_fen"], data["total_yuan"], data["vehicle_class"]) == (600, "6.00", "small")
    assert [line["amount_fen"] for line in data["lines"]] == [400, 200]


def test_green_plate_claims_the_new_energy_benefit():
    result = run("--tariff", NANTONG, "--entry", "2024-05-06T09:00", "--exit", "2024-05-06T14:00",
                 "--plate", "苏FD12345", "--json")
    data = json.loads(result.output)
    assert (data["total_fen"], data["benefit"]) == (500, "new_energy")


def test_kind_sets_the_vehicle_class():
    result = run("--tariff", NANTONG, "--entry", "2024-05-06T09:00", "--exit", "2024-05-06T14:00",
                 "--kind", "large", "--json")
    assert json.loads(result.output)["total_fen"] == 1200


def test_entry_with_an_offset_is_respected():
    # 01:00 UTC is 09:00 in Shanghai
    result = run("--tariff", NANTONG, "--entry", "2024-05-06T01:00+00:00", "--exit", "2024-05-06T14:00", "--json")
    assert json.loads(result.output)["total_fen"] == 600


def test_exit_before_entry_is_an_error_naming_the_field():
    result = run("--tariff", NANTONG, "--entry", "2024-05-06T14:00", "--exit", "2024-05-06T09:00")
    assert result.exit_code == 1
    assert "exit:" in result.output


def test_unreadable_time_is_a_usage_error():
    result = run("--tariff", NANTONG, "--entry", "tomorrow", "--exit", "2024-05-06T09:00")
    assert result.exit_code == 2
    assert "--entry" in result.output


def test_invalid_tariff_names_the_field(tmp_path):
    doc = json.loads((DIRECTORY / "08-nantong-class2.json").read_text(encoding="utf-8"))
    doc["caps"][0]["fen"] = -5
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = run("--tariff", str(path), "--entry", "2024-05-06T09:00", "--exit", "2024-05-06T10:00")
    assert result.exit_code == 1
    assert "caps[0].fen: must not be negative" in result.output
