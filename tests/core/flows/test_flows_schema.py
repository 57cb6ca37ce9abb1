"""The shipped JSON Schema agrees with the loader: samples pass, node types match."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

import jsonschema
import pytest
import yaml

from madoguchi.core.flows import model as m
from madoguchi.samples.flows import SAMPLE_FLOWS, sample_flow_text


def schema() -> dict[str, Any]:
    text = files("madoguchi.samples.flows").joinpath("flow.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def test_schema_is_valid_and_lists_every_node_type() -> None:
    document = schema()
    jsonschema.Draft202012Validator.check_schema(document)
    assert document["$defs"]["node"]["properties"]["type"]["enum"] == list(m.NODE_TYPES)


@pytest.mark.parametrize("name", SAMPLE_FLOWS)
def test_sample_flows_satisfy_the_schema(name: str) -> None:
    jsonschema.validate(yaml.safe_load(sample_flow_text(name)), schema())


def test_schema_refuses_a_wrong_field() -> None:
    bad = yaml.safe_load(sample_flow_text("after-hours"))
    bad["nodes"]["leave_message"]["max_seconds"] = "long"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema())
