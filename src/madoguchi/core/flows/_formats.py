"""Validation and normalisation of collected input: lengths, patterns, dates, phone numbers."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import lru_cache

from madoguchi.core.flows.model import InputFormat

_DATE_DIGITS = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/年.]\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})\s*日?$")
_POSTAL = re.compile(r"^(\d{3})-?(\d{4})$")


def normalize(text: str) -> str:
    """NFKC (full-width digits → ASCII), trimmed: what the customer meant to type."""
    return unicodedata.normalize("NFKC", text).strip()


def parse_format(value: str, kind: InputFormat) -> str | None:
    """The value in canonical form, or None when it is not a valid ``kind``."""
    if kind is InputFormat.ANY:
        return value
    if kind is InputFormat.DATE:
        match = _DATE_DIGITS.match(value) or _DATE_TEXT.match(value)
        if match is None:
            return None
        try:
            day = date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return None
        return day.isoformat()
    if kind is InputFormat.POSTAL_JP:
        match = _POSTAL.match(value)
        return f"{match[1]}-{match[2]}" if match else None
    return _phone_jp(value)


@lru_cache(maxsize=4096)
def _phone_jp(value: str) -> str | None:
    import phonenumbers

    try:
        number = phonenumbers.parse(value, "JP")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    national: str = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return national.replace("-", "").replace(" ", "")


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def check_input(
    value: str, min_length: int, max_length: int, pattern: str | None, kind: InputFormat
) -> str | None:
    """The accepted, canonical value, or None when it fails any rule."""
    value = normalize(value)
    if not min_length <= len(value) <= max_length:
        return None
    if pattern is not None and _compiled(pattern).fullmatch(value) is None:
        return None
    return parse_format(value, kind)
