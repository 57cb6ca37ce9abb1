"""Reading the ``calendars:`` section (営業時間, 祝日, 年末年始) of the center file."""

from __future__ import annotations

from datetime import date

import yaml

from madoguchi.core import _config_values as values
from madoguchi.core._config_nodes import NodeReader, label, line_of
from madoguchi.core.config import AnnualClosure, Closure, HoursCalendar, TimeRange

CALENDAR_KEYS = (
    "id",
    "name",
    "timezone",
    "weekly",
    "national_holidays",
    "holiday_country",
    "holiday_hours",
    "closures",
    "special_days",
)
_CLOSURE_KEYS = ("from", "to", "date", "name")
_SPECIAL_DAY_KEYS = ("date", "hours", "name")


def read_calendar(
    reader: NodeReader, node: yaml.Node, default_timezone: str
) -> tuple[HoursCalendar, dict[str, yaml.Node]] | None:
    """One calendar and its fields' nodes (the caller checks id, time zone and country)."""
    fields = reader.mapping(node, label(node, "calendar"), CALENDAR_KEYS, required=("id",))
    if fields is None:
        return None
    ident = reader.ident(fields["id"], "calendar id") if "id" in fields else None
    what = f"calendar '{ident}'" if ident else "calendar"
    name = reader.text(fields["name"], f"{what} name") if "name" in fields else None
    timezone = default_timezone
    if "timezone" in fields:
        timezone = reader.string(fields["timezone"], f"{what} timezone") or default_timezone
    weekly = read_weekly(reader, fields["weekly"], what) if "weekly" in fields else ((),) * 7
    national = True
    if "national_holidays" in fields:
        national = bool(reader.boolean(fields["national_holidays"], f"{what} national_holidays"))
    country = "JP"
    if "holiday_country" in fields:
        country = reader.string(fields["holiday_country"], f"{what} holiday_country") or "JP"
    holiday_hours: tuple[TimeRange, ...] = ()
    if "holiday_hours" in fields:
        holiday_hours = read_hours(reader, fields["holiday_hours"], f"{what} holiday_hours") or ()
    closures: list[Closure] = []
    annual: list[AnnualClosure] = []
    if "closures" in fields:
        for item in reader.sequence(fields["closures"], f"{what} closures") or []:
            read_closure(reader, item, what, closures, annual)
    special: list[tuple[date, tuple[TimeRange, ...]]] = []
    if "special_days" in fields:
        seen: dict[date, int] = {}
        for item in reader.sequence(fields["special_days"], f"{what} special_days") or []:
            day = read_special_day(reader, item, what)
            if day is None:
                continue
            if day[0] in seen:
                reader.report(
                    item, f"{what}: special day {day[0]} given twice (first at line {seen[day[0]]})"
                )
                continue
            seen[day[0]] = line_of(item)
            special.append(day)
    if ident is None:
        return None
    calendar = HoursCalendar(
        id=ident,
        timezone=timezone,
        weekly=weekly,
        national_holidays=national,
        holiday_country=country,
        holiday_hours=holiday_hours,
        closures=tuple(closures),
        special_days=tuple(special),
        annual_closures=tuple(annual),
        name=name,
    )
    return calendar, fields


def read_hours(reader: NodeReader, node: yaml.Node, what: str) -> tuple[TimeRange, ...] | None:
    """``closed``, ``24h``, ``"09:00-18:00"``, ``"09:00-12:00, 13:00-18:00"`` or a list."""
    items = reader.strings(node, what)
    if items is None:
        return None
    try:
        return values.parse_hours([text for _, text in items])
    except ValueError as err:
        reader.report(node, f"{what}: {err}")
        return None


def read_weekly(
    reader: NodeReader, node: yaml.Node, what: str
) -> tuple[tuple[TimeRange, ...], ...]:
    """``{mon-fri: "09:00-18:00", sat: "10:00-17:00"}``; days not named are closed."""
    days: list[tuple[TimeRange, ...]] = [()] * 7
    given: dict[int, tuple[str, int]] = {}
    for key_node, value_node in reader.free_mapping(node, f"{what} weekly") or []:
        spec = str(key_node.value)
        try:
            indexes = values.parse_day_spec(spec)
        except ValueError as err:
            reader.report(key_node, f"{what} weekly: {err}")
            continue
        hours = read_hours(reader, value_node, f"{what} {spec}")
        for index in indexes:
            if index in given:
                earlier, line = given[index]
                reader.report(
                    key_node,
                    f"{what} weekly: {values.DAY_NAMES[index]} is given twice "
                    f"('{spec}' here and '{earlier}' at line {line}); give each day once",
                )
                continue
            given[index] = (spec, line_of(key_node))
            if hours is not None:
                days[index] = hours
    return tuple(days)


def read_closure(
    reader: NodeReader,
    node: yaml.Node,
    what: str,
    closures: list[Closure],
    annual: list[AnnualClosure],
) -> None:
    """``{from: 2026-12-29, to: 2027-01-03}``, ``{date: 2026-08-14}`` or, every year,
    ``{from: 12-29, to: 01-03, name: 年末年始}``."""
    fields = reader.mapping(node, f"{what} closure", _CLOSURE_KEYS)
    if fields is None:
        return
    name = ""
    if "name" in fields:
        name = reader.string(fields["name"], f"{what} closure name") or ""
    if "date" in fields:
        if "from" in fields or "to" in fields:
            reader.report(node, f"{what} closure: give either 'date' or 'from' and 'to'")
            return
        day = reader.parsed(fields["date"], f"{what} closure date", values.parse_date)
        if day is not None:
            closures.append(Closure(day, day, name))
        return
    if "from" not in fields or "to" not in fields:
        reader.report(node, f"{what} closure needs 'from' and 'to' (or a single 'date')")
        return
    first_text = reader.string(fields["from"], f"{what} closure from")
    last_text = reader.string(fields["to"], f"{what} closure to")
    if first_text is None or last_text is None:
        return
    if len(first_text.strip()) <= 5 and len(last_text.strip()) <= 5:
        first_md = reader.parsed(fields["from"], f"{what} closure from", values.parse_month_day)
        last_md = reader.parsed(fields["to"], f"{what} closure to", values.parse_month_day)
        if first_md is not None and last_md is not None:
            annual.append(AnnualClosure(first_md, last_md, name))
        return
    first = reader.parsed(fields["from"], f"{what} closure from", values.parse_date)
    last = reader.parsed(fields["to"], f"{what} closure to", values.parse_date)
    if first is None or last is None:
        return
    if last < first:
        reader.report(
            fields["to"],
            f"{what} closure ends ({last}) before it starts ({first}); "
            "for a closure every year write month-days such as from: 12-29, to: 01-03",
        )
        return
    closures.append(Closure(first, last, name))


def read_special_day(
    reader: NodeReader, node: yaml.Node, what: str
) -> tuple[date, tuple[TimeRange, ...]] | None:
    """``{date: 2026-12-28, hours: "09:00-15:00", name: 仕事納め}``."""
    fields = reader.mapping(node, f"{what} special day", _SPECIAL_DAY_KEYS, ("date", "hours"))
    if fields is None or "date" not in fields or "hours" not in fields:
        return None
    if "name" in fields:
        reader.string(fields["name"], f"{what} special day name")
    day = reader.parsed(fields["date"], f"{what} special day date", values.parse_date)
    hours = read_hours(reader, fields["hours"], f"{what} special day hours")
    if day is None or hours is None:
        return None
    return day, hours
