"""CSV import of customers: every row checked first, then all rows stored or none.

The first line names the columns: ``customer_number`` and ``name`` are required;
``name_kana``, ``phone``, ``phone_alt``, ``email``, ``address`` and ``language`` are optional;
any other column becomes an order/purchase field shown in the screen pop. Files may be UTF-8
(with or without the BOM spreadsheets write) or Shift_JIS (cp932), as Japanese office software
still exports. A row's problems are reported with its line number (the header is line 1).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from madoguchi.api.customer_models import CustomerCreate
from madoguchi.store.crm import Customer

KNOWN_COLUMNS = (
    "customer_number",
    "name",
    "name_kana",
    "phone",
    "phone_alt",
    "email",
    "address",
    "language",
)
REQUIRED_COLUMNS = ("customer_number", "name")
MAX_ROWS = 100_000


@dataclass(slots=True)
class RowError:
    """A problem in one line of the file."""

    line: int
    column: str
    message: str


@dataclass(slots=True)
class ImportCheck:
    """The rows that would be stored, and every problem found."""

    customers: list[CustomerCreate] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (BOM allowed), else Shift_JIS; ValueError when neither fits."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932")
    except UnicodeDecodeError as err:
        raise ValueError("the file is neither UTF-8 nor Shift_JIS text") from err


def check_rows(text: str, db: Session, tenant: str) -> ImportCheck:
    """Parse and validate every row, including duplicates in the file and in the database."""
    result = ImportCheck()
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        result.errors.append(RowError(1, "", "the file is empty"))
        return result
    except csv.Error as err:
        result.errors.append(RowError(1, "", f"not CSV: {err}"))
        return result
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if missing or duplicated or any(not name for name in header):
        for name in missing:
            result.errors.append(RowError(1, name, "required column missing"))
        for name in duplicated:
            result.errors.append(RowError(1, name, "column named twice"))
        if any(not name for name in header):
            result.errors.append(RowError(1, "", "a column has no name"))
        return result
    seen: dict[str, int] = {}
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(result.customers) + len(result.errors) >= MAX_ROWS:
                result.errors.append(RowError(line, "", f"more than {MAX_ROWS} rows"))
                break
            _check_row(header, row, line, seen, result)
    except csv.Error as err:
        result.errors.append(RowError(reader.line_num, "", f"not CSV: {err}"))
    _check_existing(db, tenant, seen, result)
    result.errors.sort(key=lambda e: e.line)
    return result


def _check_row(
    header: list[str], row: list[str], line: int, seen: dict[str, int], result: ImportCheck
) -> None:
    if len(row) != len(header):
        result.errors.append(RowError(line, "", f"{len(row)} cells, header has {len(header)}"))
        return
    values = dict(zip(header, (cell.strip() for cell in row), strict=True))
    record: dict[str, object] = {k: values[k] for k in KNOWN_COLUMNS if values.get(k)}
    extras = {k: v for k, v in values.items() if k not in KNOWN_COLUMNS and v}
    if extras:
        record["fields"] = extras
    try:
        customer = CustomerCreate.model_validate(record)
    except ValidationError as err:
        for problem in err.errors():
            column = ".".join(str(p) for p in problem["loc"]) or ""
            result.errors.append(
                RowError(line, column, str(problem["msg"]).removeprefix("Value error, "))
            )
        return
    first = seen.get(customer.customer_number)
    if first is not None:
        result.errors.append(RowError(line, "customer_number", f"same number as line {first}"))
        return
    seen[customer.customer_number] = line
    result.customers.append(customer)


def _check_existing(db: Session, tenant: str, seen: dict[str, int], result: ImportCheck) -> None:
    numbers = list(seen)
    for start in range(0, len(numbers), 500):
        chunk = numbers[start : start + 500]
        for number in db.scalars(
            select(Customer.customer_number).where(
                Customer.tenant == tenant, Customer.customer_number.in_(chunk)
            )
        ):
            result.errors.append(
                RowError(
                    seen[number], "customer_number", "a customer with this number already exists"
                )
            )
