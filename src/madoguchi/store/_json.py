"""The one JSON encoding every store uses, so that all of them accept and refuse the same values.

Compact, UTF-8 (Japanese stays readable in a SQLite file), and strict: NaN and infinities are
refused (PostgreSQL's JSONB cannot hold them), and so is the NUL character (PostgreSQL text
cannot hold it).
"""

from __future__ import annotations

import json
from typing import Any

_encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode


def encode_json(value: Any) -> str:
    """``value`` as JSON text; ValueError or TypeError when a database could not hold it."""
    text = _encode(value)
    if "\\u0000" in text:
        raise ValueError("the NUL character (\\u0000) cannot be stored")
    return text
