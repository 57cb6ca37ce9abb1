"""Do-not-call lists (発信禁止リスト).

Japan has no national do-not-call registry, but the Act on Specified Commercial Transactions
(特定商取引法) Art. 17 forbids soliciting again a person who refused. So a tenant-wide list is
kept — every refusal lands there — beside per-campaign lists, and every dial is checked at the
moment it is placed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DncEntry:
    """One number that must not be called."""

    number: str
    """E.164."""
    tenant: str
    campaign: str | None = None
    """None: the whole tenant."""
    reason: str = ""
    added_at: float = 0.0
    added_by: str | None = None


class DoNotCallRegistry:
    """Tenant-wide and per-campaign do-not-call lists."""

    def __init__(self) -> None:
        self._tenant: dict[tuple[str, str], DncEntry] = {}
        self._campaign: dict[tuple[str, str, str], DncEntry] = {}

    def add(self, entry: DncEntry) -> None:
        """Add (or refresh) an entry."""
        if entry.campaign is None:
            self._tenant[(entry.tenant, entry.number)] = entry
        else:
            self._campaign[(entry.tenant, entry.campaign, entry.number)] = entry

    def remove(self, tenant: str, number: str, campaign: str | None = None) -> bool:
        """Take a number off a list; True when it was there."""
        if campaign is None:
            return self._tenant.pop((tenant, number), None) is not None
        return self._campaign.pop((tenant, campaign, number), None) is not None

    def blocking(self, tenant: str, campaign: str, number: str) -> DncEntry | None:
        """The entry that forbids calling ``number`` for ``campaign``, if any."""
        entry = self._tenant.get((tenant, number))
        if entry is not None:
            return entry
        return self._campaign.get((tenant, campaign, number))

    def __len__(self) -> int:
        return len(self._tenant) + len(self._campaign)
