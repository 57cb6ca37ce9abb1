"""Call lists (架電リスト): records to dial, parsed from CSV text and normalized.

Phone numbers are parsed and validated with ``phonenumbers`` (region JP by default) and kept in
E.164; rows with the same number are merged; a file with any bad row is rejected as a whole with
the row numbers (nothing half-imported).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import phonenumbers


@dataclass(slots=True)
class ListRecord:
    """One person to call, with the dialer's bookkeeping."""

    id: str
    number: str
    """E.164."""
    name: str = ""
    customer_id: str | None = None
    timezone: str | None = None
    """The callee's time zone when known; else the campaign's."""
    attributes: dict[str, str] = field(default_factory=dict)
    attempts: int = 0
    next_attempt_at: float = 0.0
    last_outcome: str | None = None
    callback_at: float | None = None
    callback_agent: str | None = None
    closed: str | None = None
    """Why no more attempts are made (None while open)."""


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A rejected row: ``FILE:LINE: message``."""

    filename: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}: {self.message}"


class ListImportError(ValueError):
    """The file was rejected; ``problems`` names every bad row."""

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def normalize_number(raw: str, region: str = "JP") -> str:
    """E.164 form of ``raw``; ValueError when it is not a valid number."""
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as err:
        raise ValueError(f"not a phone number: {raw!r}") from err
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError(f"not a valid number: {raw!r}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def parse_call_list(
    text: str, filename: str, *, region: str = "JP", id_prefix: str = "r"
) -> list[ListRecord]:
    """Records from CSV text with a header row holding ``phone`` (or ``number``/``電話番号``)
    and optionally ``name``/``氏名``, ``customer_id``, ``timezone``; other columns become
    attributes. Raises :class:`ListImportError` listing every bad row."""
    try:
        return _parse_rows(
            csv.DictReader(io.StringIO(text, newline="")), filename, region, id_prefix
        )
    except csv.Error as err:  # e.g. a stray carriage return inside a field: not a CSV we read
        line = text.count("\n", 0, len(text)) + 1
        raise ListImportError([RowProblem(filename, line, f"not valid CSV: {err}")]) from err


def _parse_rows(
    reader: csv.DictReader[str], filename: str, region: str, id_prefix: str
) -> list[ListRecord]:
    header = reader.fieldnames or []
    phone_key = next((k for k in ("phone", "number", "電話番号") if k in header), None)
    if phone_key is None:
        raise ListImportError(
            [RowProblem(filename, 1, "no phone column (phone, number, 電話番号)")]
        )
    name_key = next((k for k in ("name", "氏名", "名前") if k in header), None)
    problems: list[RowProblem] = []
    by_number: dict[str, ListRecord] = {}
    for row in reader:
        line = reader.line_num
        if None in row:
            problems.append(RowProblem(filename, line, "more fields than the header"))
            continue
        raw = (row.get(phone_key) or "").strip()
        if not raw:
            problems.append(RowProblem(filename, line, f"empty {phone_key}"))
            continue
        try:
            number = normalize_number(raw, region)
        except ValueError as err:
            problems.append(RowProblem(filename, line, str(err)))
            continue
        attributes = {
            k: (v or "").strip()
            for k, v in row.items()
            if k not in {phone_key, name_key, "customer_id", "timezone"} and v
        }
        existing = by_number.get(number)
        if existing is not None:  # merge duplicates: keep first values, fill blanks
            existing.name = existing.name or (row.get(name_key or "") or "").strip()
            for key, value in attributes.items():
                existing.attributes.setdefault(key, value)
            continue
        by_number[number] = ListRecord(
            id=f"{id_prefix}{len(by_number) + 1}",
            number=number,
            name=(row.get(name_key) or "").strip() if name_key else "",
            customer_id=(row.get("customer_id") or "").strip() or None,
            timezone=(row.get("timezone") or "").strip() or None,
            attributes=attributes,
        )
    if problems:
        raise ListImportError(problems)
    return list(by_number.values())
