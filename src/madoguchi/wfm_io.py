"""Files of the workforce-management commands: contact-record and requirement CSVs, plan exports.

Every reading error is a :class:`WfmInputError` that names the file and line
(``FILE:LINE: message``). Times without a UTC offset are read in the center's time zone
(Japan, +09:00).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from madoguchi.core.wfm.forecast import DayForecast
from madoguchi.core.wfm.forecast_history import JST_OFFSET_S, ContactRecord
from madoguchi.core.wfm.schedule import BreakWindow, LabourRules, ShiftPattern, ShiftPlan

CENTER_TZ = timezone(timedelta(seconds=JST_OFFSET_S))
"""The center's time zone (Asia/Tokyo keeps +09:00 all year)."""

TIMESTAMP_COLUMNS = ("timestamp", "started_at", "start", "time")
HANDLE_COLUMNS = ("handle_s", "handle_seconds", "handle_time", "aht_s")


class WfmInputError(ValueError):
    """A file the user gave cannot be used; ``str()`` is ``FILE:LINE: message``."""

    def __init__(self, path: Path, line: int | None, message: str) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row; the first line must be a header."""
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as err:
        raise WfmInputError(path, None, f"cannot read: {err.strerror}") from err
    with handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None:
            raise WfmInputError(path, 1, "empty file (a header line is needed)")
        try:
            for row in reader:
                if None in row:
                    raise WfmInputError(path, reader.line_num, "more fields than the header")
                yield (
                    reader.line_num,
                    {k.strip().lower(): (v or "").strip() for k, v in row.items()},
                )
        except csv.Error as err:
            raise WfmInputError(path, reader.line_num, f"bad CSV: {err}") from err
        except UnicodeDecodeError as err:
            raise WfmInputError(path, reader.line_num + 1, "not UTF-8 text") from err


def _column(path: Path, row: dict[str, str], names: Sequence[str], what: str) -> str:
    for name in names:
        if name in row:
            return name
    raise WfmInputError(path, 1, f"no {what} column (one of: {', '.join(names)})")


def parse_timestamp(text: str) -> float:
    """Epoch seconds from ISO 8601 (no offset: the center's zone) or a number of seconds."""
    try:
        return float(text)
    except ValueError:
        pass
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CENTER_TZ)
    return moment.timestamp()


def read_contact_records(path: Path) -> list[ContactRecord]:
    """Contact records from a CSV with a timestamp and a handle-seconds column."""
    records = []
    ts_col = handle_col = ""
    for line, row in _rows(path):
        if not ts_col:
            ts_col = _column(path, row, TIMESTAMP_COLUMNS, "timestamp")
            handle_col = _column(path, row, HANDLE_COLUMNS, "handle seconds")
        try:
            started = parse_timestamp(row[ts_col])
        except ValueError:
            raise WfmInputError(path, line, f"{ts_col}: not a time: {row[ts_col]!r}") from None
        try:
            handle = float(row[handle_col])
        except ValueError:
            raise WfmInputError(
                path, line, f"{handle_col}: not a number: {row[handle_col]!r}"
            ) from None
        if not handle >= 0.0 or handle == float("inf"):
            raise WfmInputError(path, line, f"{handle_col}: must be ≥ 0 seconds")
        records.append(ContactRecord(started, handle))
    if not records:
        raise WfmInputError(path, None, "no contact records")
    return records


@dataclass(frozen=True)
class Requirement:
    """Agents required per consecutive interval, read from a CSV."""

    starts: list[datetime]
    """Start of each interval (aware)."""
    agents: list[int]
    """Agents required."""
    interval_s: int
    """Interval length, seconds."""


def read_requirement(path: Path, day: date | None = None) -> Requirement:
    """Rows of ``interval_start`` (``HH:MM`` or ISO 8601) and ``agents`` (required)."""
    anchor = day or date(2000, 1, 1)
    starts: list[datetime] = []
    agents: list[int] = []
    lines: list[int] = []
    for line, row in _rows(path):
        if "interval_start" not in row or "agents" not in row:
            raise WfmInputError(path, 1, "columns interval_start and agents are needed")
        text = row["interval_start"]
        try:
            if len(text) <= 5 and ":" in text:
                start = datetime.combine(anchor, time.fromisoformat(text), tzinfo=CENTER_TZ)
            else:
                start = datetime.fromisoformat(text)
                if start.tzinfo is None:
                    start = start.replace(tzinfo=CENTER_TZ)
        except ValueError:
            raise WfmInputError(path, line, f"interval_start: not a time: {text!r}") from None
        try:
            needed = int(row["agents"])
        except ValueError:
            raise WfmInputError(
                path, line, f"agents: not a whole number: {row['agents']!r}"
            ) from None
        if needed < 0:
            raise WfmInputError(path, line, "agents: must be ≥ 0")
        starts.append(start)
        agents.append(needed)
        lines.append(line)
    if len(starts) < 2:
        raise WfmInputError(path, None, "at least two intervals are needed")
    step = starts[1] - starts[0]
    if step <= timedelta(0):
        raise WfmInputError(path, lines[1], "interval_start must increase")
    for i in range(2, len(starts)):
        if starts[i] - starts[i - 1] != step:
            raise WfmInputError(
                path,
                lines[i],
                f"interval_start: expected {starts[i - 1] + step:%H:%M} (steps of "
                f"{int(step.total_seconds() // 60)} min, no gaps)",
            )
    return Requirement(starts, agents, int(step.total_seconds()))


def write_forecast_csv(
    path: Path,
    forecast: Sequence[DayForecast],
    interval_s: int,
    agents: Sequence[Sequence[int]] | None,
) -> None:
    """One row per interval: date, interval_start, kind, calls, aht_s[, agents]."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["date", "interval_start", "kind", "calls", "aht_s"] + (["agents"] if agents else [])
        )
        for d, day in enumerate(forecast):
            midnight = datetime.combine(day.day, time(0), tzinfo=CENTER_TZ)
            for i in range(day.calls.size):
                start = midnight + timedelta(seconds=i * interval_s)
                row = [
                    day.day.isoformat(),
                    start.isoformat(),
                    day.kind,
                    f"{day.calls[i]:.3f}",
                    f"{day.aht_s[i]:.1f}",
                ]
                if agents:
                    row.append(str(agents[d][i]))
                writer.writerow(row)


def write_shifts_csv(path: Path, plan: ShiftPlan, starts: Sequence[datetime]) -> None:
    """One row per shift: pattern, start, end, breaks, agents, paid hours."""

    def at(slot: int) -> str:
        return (starts[0] + timedelta(seconds=slot * plan.interval_s)).strftime("%H:%M")

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["pattern", "start", "end", "breaks", "agents", "paid_hours"])
        for s in plan.shifts:
            breaks = " ".join(f"{at(a)}-{at(b)}" for a, b in s.break_slots)
            writer.writerow(
                [s.pattern, at(s.start_slot), at(s.end_slot), breaks, s.agents, f"{s.paid_hours:g}"]
            )


def write_coverage_csv(path: Path, plan: ShiftPlan, starts: Sequence[datetime]) -> None:
    """One row per interval: interval_start, required, scheduled, over, under."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["interval_start", "required", "scheduled", "over", "under"])
        for i, start in enumerate(starts):
            writer.writerow(
                [
                    start.isoformat(),
                    plan.required[i],
                    plan.scheduled[i],
                    plan.over[i],
                    plan.under[i],
                ]
            )


def parse_duration_s(text: str) -> int:
    """Seconds in ``"30m"``, ``"1h"``, ``"1h30m"``, ``"90s"`` or a bare number of minutes."""
    units = {"h": 3600, "m": 60, "s": 1}
    value = text.strip().lower()
    if not value:
        raise ValueError("empty duration")
    if value.replace(".", "", 1).isdigit():
        return round(float(value) * 60)
    total = 0.0
    number = ""
    for ch in value:
        if ch.isdigit() or ch == ".":
            number += ch
        elif ch in units and number:
            total += float(number) * units[ch]
            number = ""
        else:
            raise ValueError(f"not a duration: {text!r} (e.g. 30m, 1h, 1h30m, 90s)")
    if number:
        raise ValueError(f"not a duration: {text!r} (a unit is missing after {number})")
    return round(total)


@dataclass(frozen=True)
class ShiftRules:
    """Shift patterns and labour rules read from a YAML file."""

    patterns: list[ShiftPattern]
    """Patterns with starts and breaks in intervals."""
    rules: LabourRules
    """Labour rules."""


def _slots(path: Path, line: int, text: object, interval_s: int, what: str) -> int:
    try:
        seconds = parse_duration_s(str(text))
    except ValueError as err:
        raise WfmInputError(path, line, f"{what}: {err}") from None
    if seconds % interval_s:
        raise WfmInputError(
            path, line, f"{what}: {text} is not whole {interval_s // 60}-min intervals"
        )
    return seconds // interval_s


def _start_slots(
    path: Path, line: int, spec: object, first: datetime, interval_s: int
) -> tuple[int, ...]:
    """``["09:00", "10:00"]`` or ``"08:00-12:00/30m"`` as intervals from ``first``."""

    def slot(text: str) -> int:
        try:
            at = datetime.combine(
                first.date(), time.fromisoformat(text.strip()), tzinfo=first.tzinfo
            )
        except ValueError:
            raise WfmInputError(path, line, f"starts: not a time: {text!r}") from None
        offset = (at - first).total_seconds()
        if offset % interval_s:
            raise WfmInputError(path, line, f"starts: {text} is not on an interval boundary")
        return int(offset // interval_s)

    if isinstance(spec, list):
        return tuple(slot(str(s)) for s in spec)
    text = str(spec)
    if "-" in text:
        span, _, step = text.partition("/")
        lo, _, hi = span.partition("-")
        step_slots = _slots(path, line, step or f"{interval_s}s", interval_s, "starts step")
        if step_slots <= 0:
            raise WfmInputError(path, line, "starts: the step must be positive")
        return tuple(range(slot(lo), slot(hi) + 1, step_slots))
    return (slot(text),)


def read_shift_rules(path: Path, interval_s: int, first: datetime) -> ShiftRules:
    """Patterns and rules from YAML (see ``docs/wfm.md``); errors name FILE:LINE."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except OSError as err:
        raise WfmInputError(path, None, f"cannot read: {err.strerror}") from err
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise WfmInputError(path, mark.line + 1 if mark else None, f"bad YAML: {err}") from None
    if not isinstance(data, dict) or not isinstance(data.get("patterns"), list):
        raise WfmInputError(path, 1, "a mapping with a 'patterns' list is needed")
    pattern_lines = _item_lines(root, "patterns")
    patterns = []
    for i, item in enumerate(data["patterns"]):
        line = pattern_lines[i] if i < len(pattern_lines) else 1
        if not isinstance(item, dict):
            raise WfmInputError(path, line, "a pattern must be a mapping")
        unknown = set(item) - {"name", "length", "starts", "breaks", "max_agents"}
        if unknown:
            raise WfmInputError(path, line, f"unknown keys: {', '.join(sorted(map(str, unknown)))}")
        if "length" not in item or "starts" not in item:
            raise WfmInputError(path, line, "a pattern needs 'length' and 'starts'")
        breaks = []
        for b in item.get("breaks") or []:
            if not isinstance(b, dict) or "length" not in b:
                raise WfmInputError(path, line, "a break needs 'length', 'earliest', 'latest'")
            breaks.append(
                BreakWindow(
                    length_slots=_slots(path, line, b["length"], interval_s, "break length"),
                    earliest_slot=_slots(
                        path, line, b.get("earliest", "0m"), interval_s, "earliest"
                    ),
                    latest_slot=_slots(
                        path, line, b.get("latest", b.get("earliest", "0m")), interval_s, "latest"
                    ),
                    paid=bool(b.get("paid", False)),
                )
            )
        max_agents = item.get("max_agents")
        if max_agents is not None and (not isinstance(max_agents, int) or max_agents < 0):
            raise WfmInputError(path, line, "max_agents must be a whole number ≥ 0")
        patterns.append(
            ShiftPattern(
                name=str(item.get("name", f"pattern {i + 1}")),
                start_slots=_start_slots(path, line, item["starts"], first, interval_s),
                length_slots=_slots(path, line, item["length"], interval_s, "length"),
                breaks=tuple(breaks),
                max_agents=max_agents,
            )
        )
    raw_rules = data.get("rules") or {}
    if not isinstance(raw_rules, dict):
        raise WfmInputError(path, 1, "'rules' must be a mapping")
    for key, value in raw_rules.items():
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise WfmInputError(path, None, f"rules: {key} must be a number")
        if isinstance(value, int | float) and value < 0:
            raise WfmInputError(path, None, f"rules: {key} must be ≥ 0")
    try:
        rules = LabourRules(**raw_rules)
    except TypeError as err:
        raise WfmInputError(path, 1, f"rules: {err}") from None
    return ShiftRules(patterns, rules)


def _item_lines(root: object, key: str) -> list[int]:
    """1-based line of each item of the list under ``key`` in a composed YAML mapping."""
    import yaml

    if not isinstance(root, yaml.MappingNode):
        return []
    for k, v in root.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key and isinstance(v, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in v.value]
    return []


def default_shift_rules(interval_s: int, horizon: int) -> ShiftRules:
    """Full time (9 h with a 1 h unpaid lunch 3–5 h in) and part time (6 h, 4 h), any start."""

    def slots(hours: float) -> int:
        return max(1, round(hours * 3600 / interval_s))

    def starts(length: int) -> tuple[int, ...]:
        return tuple(range(max(0, horizon - length) + 1))

    lunch = BreakWindow(slots(1), slots(3), slots(5))
    return ShiftRules(
        patterns=[
            ShiftPattern("full-time 8h", starts(slots(9)), slots(9), (lunch,)),
            ShiftPattern("part-time 6h", starts(slots(6)), slots(6)),
            ShiftPattern("part-time 4h", starts(slots(4)), slots(4)),
        ],
        rules=LabourRules(),
    )
