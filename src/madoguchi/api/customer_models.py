"""Request and response bodies for customers (shared by the REST API and the CSV import)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from madoguchi.api.phones import InvalidPhoneNumber, normalize_phone
from madoguchi.store.crm import Customer, aware

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$")


def _phone(value: str | None) -> str | None:
    if value is None or value.strip() == "":
        return None
    try:
        return normalize_phone(value)
    except InvalidPhoneNumber as err:
        raise ValueError(str(err)) from err


def _email(value: str | None) -> str | None:
    if value is None or value.strip() == "":
        return None
    if not _EMAIL.match(value.strip()):
        raise ValueError("not an email address")
    return value.strip()


def _customer_number(value: str) -> str:
    if not _NUMBER.match(value):
        raise ValueError("letters, digits, '-' and '_' only (1–64)")
    return value


def _text(value: str) -> str:
    stripped = value.strip()
    if not stripped:
        raise ValueError("must not be blank")
    return stripped


PhoneText = Annotated[str | None, Field(default=None, max_length=40), AfterValidator(_phone)]
EmailText = Annotated[str | None, Field(default=None, max_length=254), AfterValidator(_email)]
CustomerNumber = Annotated[
    str, Field(min_length=1, max_length=64), AfterValidator(_customer_number)
]
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_text)]
FieldValue = str | int | float | bool | None
Fields = Annotated[dict[str, FieldValue], Field(max_length=50)]


class CustomerCreate(BaseModel):
    """A new customer."""

    model_config = ConfigDict(extra="forbid")

    customer_number: CustomerNumber
    name: Name
    name_kana: str = Field(default="", max_length=200)
    phone: PhoneText = None
    phone_alt: PhoneText = None
    email: EmailText = None
    address: str = Field(default="", max_length=500)
    language: Literal["ja", "en"] = "ja"
    fields: Fields = Field(default_factory=dict)
    """Order and purchase fields shown in the screen pop (plan, last order…)."""


class CustomerUpdate(BaseModel):
    """Changes to a customer: only the fields given are changed."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    name_kana: str | None = Field(default=None, max_length=200)
    phone: PhoneText = None
    phone_alt: PhoneText = None
    email: EmailText = None
    address: str | None = Field(default=None, max_length=500)
    language: Literal["ja", "en"] | None = None
    fields: Fields | None = None


class CustomerOut(BaseModel):
    """A customer as the API shows it."""

    id: int
    customer_number: str
    name: str
    name_kana: str
    phone: str | None
    phone_alt: str | None
    email: str | None
    address: str
    language: str
    fields: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Customer) -> CustomerOut:
        """The API view of a stored customer."""
        return cls(
            id=row.id,
            customer_number=row.customer_number,
            name=row.name,
            name_kana=row.name_kana,
            phone=row.phone,
            phone_alt=row.phone_alt,
            email=row.email,
            address=row.address,
            language=row.language,
            fields=dict(row.fields or {}),
            created_at=aware(row.created_at),
            updated_at=aware(row.updated_at),
        )
