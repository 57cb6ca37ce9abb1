"""The JSON Schema of the center file (for editors) agrees with the sample and the loader."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

import jsonschema
import pytest
import yaml

from madoguchi.core import _config_calendars, _config_queues, _config_sections, config_loader
from madoguchi.samples import sample_center_text


class _TextDatesLoader(yaml.SafeLoader):
    """Keeps dates as written, as the center loader does."""


_TextDatesLoader.add_constructor(
    "tag:yaml.org,2002:timestamp",
    lambda loader, node: loader.construct_scalar(node),  # type: ignore[arg-type]
)


def schema() -> dict[str, Any]:
    text = files("madoguchi.samples").joinpath("center.schema.json").read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def test_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(schema())


def test_sample_center_matches_the_schema() -> None:
    document = yaml.load(sample_center_text(), Loader=_TextDatesLoader)
    jsonschema.Draft202012Validator(schema()).validate(document)


@pytest.mark.parametrize(
    ("definition", "keys"),
    [
        (None, config_loader.TOP_LEVEL_KEYS),
        ("tenant", _config_sections.TENANT_KEYS),
        ("skill", _config_sections.SKILL_KEYS),
        ("team", _config_sections.TEAM_KEYS),
        ("agent", _config_sections.AGENT_KEYS),
        ("code", _config_sections.CODE_KEYS),
        ("metrics", _config_sections.METRICS_KEYS),
        ("queue", _config_queues.QUEUE_KEYS),
        ("calendar", _config_calendars.CALENDAR_KEYS),
    ],
)
def test_schema_lists_the_keys_the_loader_accepts(
    definition: str | None, keys: tuple[str, ...]
) -> None:
    document = schema()
    node = document if definition is None else document["$defs"][definition]
    assert set(node["properties"]) == set(keys)


def test_schema_rejects_an_unknown_key() -> None:
    document = yaml.load(sample_center_text(), Loader=_TextDatesLoader)
    document["queues"][0]["max_wiat"] = 60
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema()).validate(document)
