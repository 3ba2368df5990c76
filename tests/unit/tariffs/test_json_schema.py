"""The published JSON Schema of tariff documents accepts every example and rejects bad ones."""

import copy
import json

import pytest

from parking.tariffs import json_schema
from parking.tariffs.examples import document, names
from tests.unit.tariffs.jsonschema_subset import errors


@pytest.mark.parametrize("name", names())
def test_every_example_validates_against_the_json_schema(name):
    assert errors(json_schema(), document(name)) == []


def test_json_schema_rejects_a_negative_price():
    doc = copy.deepcopy(document("03-guangzhou-central"))
    doc["rates"]["day"]["steps"][0]["unit_fen"] = -1
    assert errors(json_schema(), doc) == ["$.rates.day.steps[0].unit_fen: below 0"]


def test_json_schema_rejects_an_unknown_vehicle_class():
    doc = copy.deepcopy(document("03-guangzhou-central"))
    doc["classes"]["tractor"] = {}
    assert errors(json_schema(), doc) == [
        "$.classes.tractor(name): not one of ['small', 'large', 'oversize', 'motorcycle']"
    ]


def test_json_schema_is_plain_json_with_definitions():
    schema = json.loads(json.dumps(json_schema()))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert {"Band", "Cap", "Step", "VehicleClass"} <= set(schema["$defs"])
    assert schema["required"] == ["format", "id", "name", "classes"]
