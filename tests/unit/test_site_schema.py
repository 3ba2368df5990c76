"""The site file's JSON Schema (``parking/site_schema.json``) and the validator the importer applies with it."""

from __future__ import annotations

from pathlib import Path

import yaml

from parking.policy import CHOICES, policy_keys
from parking.site_schema import problems, schema

EXAMPLE = Path(__file__).resolve().parents[2] / "parking" / "site_examples" / "village.yaml"


def test_the_example_village_file_follows_the_schema() -> None:
    assert problems(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))) == []


def test_the_schema_knows_exactly_the_policies_of_a_lot() -> None:
    policy = schema()["$defs"]["Policy"]["properties"]
    assert set(policy) == policy_keys()
    assert {k: v["enum"] for k, v in policy.items() if "enum" in v} == {k: list(v) for k, v in CHOICES.items()}


def test_each_problem_names_its_place_in_the_document() -> None:
    document = {"format": "parking-site", "version": 1, "sites": [
        {"code": "-bad", "name": "村", "timezone": "Asia/Shanghai", "lots": [
            {"code": "a", "name": "A", "zones": [{"code": "z", "name": "Z", "capacity": -1, "pools": {"vip": 2}}]}]}],
        "extra": True}
    assert [str(p) for p in problems(document)] == [
        "sites[0].code: '-bad' may hold only letters, digits, '-', '_' and '.', starting with a letter or digit (at most 32)",
        "sites[0].lots[0].zones[0].capacity: -1 is below the minimum 0",
        "sites[0].lots[0].zones[0].pools.vip: is not a known field; known fields: pass, reserved, shared, temporary",
        "extra: is not a known field; known fields: format, lists, operators, sites, tariffs, version",
    ]


def test_a_document_that_is_not_a_mapping_is_one_problem() -> None:
    assert [str(p) for p in problems(["sites"])] == ["must be an object, not [\"sites\"]"]
