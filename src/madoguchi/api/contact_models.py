"""Request and response bodies for contacts: records, notes, wrap-up, transfer."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from madoguchi.api.context import MAX_ROW_ID
from madoguchi.store.port import StoredContactRecord


class ContactSummary(BaseModel):
    """One contact in a list."""

    contact_id: str
    channel: str
    direction: str
    started_at: float
    ended_at: float | None
    customer_id: str | None
    queues: list[str]
    agents: list[str]
    end_reason: str | None

    @classmethod
    def of(cls, record: StoredContactRecord) -> ContactSummary:
        """The list view of a stored contact record."""
        return cls(
            contact_id=record.contact_id,
            channel=record.channel,
            direction=record.direction,
            started_at=record.started_at,
            ended_at=record.ended_at,
            customer_id=record.customer_id,
            queues=list(record.queues),
            agents=list(record.agents),
            end_reason=record.end_reason,
        )


class NoteOut(BaseModel):
    """A note on a contact."""

    id: int
    author: str
    text: str
    disposition: str | None
    customer_id: int | None
    at: str


class ContactDetail(ContactSummary):
    """A contact with its whole journey (every queue, offer, agent, hold, transfer) and notes."""

    journey: dict[str, Any]
    notes: list[NoteOut]


class NoteCreate(BaseModel):
    """A note about a contact, optionally filed under a customer."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=4000)
    customer_id: int | None = Field(default=None, ge=1, le=MAX_ROW_ID)


class FollowUpCreate(BaseModel):
    """A task to get back to the customer by ``due``."""

    model_config = ConfigDict(extra="forbid")

    due: date
    text: str = Field(min_length=1, max_length=1000)


class WrapUp(BaseModel):
    """The end of after-contact work: disposition, notes, maybe a follow-up."""

    model_config = ConfigDict(extra="forbid")

    disposition: str = Field(min_length=1, max_length=64)
    notes: str = Field(default="", max_length=4000)
    customer_id: int | None = Field(default=None, ge=1, le=MAX_ROW_ID)
    """The customer the contact was about (as identified in the screen pop)."""
    follow_up: FollowUpCreate | None = None


class Transfer(BaseModel):
    """Where to: a queue, an agent, or the team's supervisor (exactly one)."""

    model_config = ConfigDict(extra="forbid")

    to_queue: str | None = Field(default=None, min_length=1, max_length=64)
    to_agent: str | None = Field(default=None, min_length=1, max_length=64)
    to_supervisor: bool = False

    @model_validator(mode="after")
    def _exactly_one(self) -> Transfer:
        given = sum((self.to_queue is not None, self.to_agent is not None, self.to_supervisor))
        if given != 1:
            raise ValueError("give exactly one of to_queue, to_agent, to_supervisor")
        return self
