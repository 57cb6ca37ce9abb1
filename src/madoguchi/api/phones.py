"""Phone numbers as the CRM stores them: E.164 (``+81312345678``).

Callers' numbers arrive as the network gives them (``0312345678``, ``+81 3-1234-5678``,
``03-1234-5678``); customers' numbers are typed by people. Both are normalized the same way,
with Japan as the default region, so the screen pop is an exact index look-up.
"""

from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "JP"


class InvalidPhoneNumber(ValueError):
    """Text that is not a dialable phone number."""


def normalize_phone(text: str, region: str = DEFAULT_REGION) -> str:
    """``text`` in E.164; :class:`InvalidPhoneNumber` when it is not a possible number."""
    cleaned = text.strip()
    if not cleaned or len(cleaned) > 40:
        raise InvalidPhoneNumber("not a phone number")
    try:
        parsed = phonenumbers.parse(cleaned, region)
    except phonenumbers.NumberParseException as err:
        raise InvalidPhoneNumber(f"not a phone number: {err}") from err
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidPhoneNumber("not a possible phone number")
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


def normalize_or_none(text: str | None, region: str = DEFAULT_REGION) -> str | None:
    """:func:`normalize_phone` for a number that may be absent or unparseable (look-ups)."""
    if text is None:
        return None
    try:
        return normalize_phone(text, region)
    except InvalidPhoneNumber:
        return None
