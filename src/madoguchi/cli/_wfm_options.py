"""Option parsing shared by the ``madoguchi wfm`` commands: errors name the flag."""

from __future__ import annotations

import math
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from madoguchi.core.wfm.staffing import IntervalStaffing, StaffingTarget


SlOpt = Annotated[str, typer.Option("--sl", help="Service level X/T: X% answered within T s.")]
ShrinkOpt = Annotated[
    str, typer.Option("--shrinkage", help="Paid time off the phones: 0.3 or 30%.")
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
RunsOpt = Annotated[
    int, typer.Option("--runs", help="Simulated days (seeds seed, seed+1…) pooled per interval.")
]
ModelOpt = Annotated[
    str,
    typer.Option(
        "--model", help="Planned figures by erlang-c, erlang-a or auto (A if patience is known)."
    ),
]


def fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code=2)


def parse_service_level(text: str) -> tuple[float, float]:
    """``"80/20"`` → (0.8, 20.0)."""
    share, sep, seconds = text.partition("/")
    try:
        level = float(share.rstrip("%")) / 100.0
        threshold = float(seconds.rstrip("s"))
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not X/T, e.g. 80/20", param_hint="--sl") from None
    if not sep or not 0.0 < level < 1.0 or threshold < 0:
        raise typer.BadParameter(f"{text!r}: X must be in (0, 100) and T ≥ 0", param_hint="--sl")
    return level, threshold


def parse_fraction(text: str, flag: str, upper_inclusive: bool = False) -> float:
    """``"0.3"`` or ``"30%"`` → 0.3, within [0, 1) (or [0, 1])."""
    try:
        value = float(text[:-1]) / 100.0 if text.endswith("%") else float(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a fraction", param_hint=flag) from None
    ok = 0.0 <= value <= 1.0 if upper_inclusive else 0.0 <= value < 1.0
    if not ok or math.isnan(value):
        raise typer.BadParameter(f"{text!r} is out of range", param_hint=flag)
    return value


def parse_duration(text: str, flag: str) -> int:
    """Seconds in ``30m``, ``1h``, ``90s``; a bare number is minutes."""
    from madoguchi.wfm_io import parse_duration_s

    try:
        seconds = parse_duration_s(text)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint=flag) from None
    if seconds <= 0:
        raise typer.BadParameter(f"{text!r} must be positive", param_hint=flag)
    return seconds


def staffing_target(
    sl: str | None,
    asa: float | None,
    max_occupancy: str | None,
    shrinkage: str | None,
    patience: float | None,
    max_abandon: str | None,
) -> StaffingTarget:
    from madoguchi.core.wfm.staffing import StaffingTarget

    level, threshold = parse_service_level(sl) if sl else (None, 20.0)
    if asa is not None and asa <= 0:
        raise typer.BadParameter("must be positive", param_hint="--asa")
    if patience is not None and patience <= 0:
        raise typer.BadParameter("must be positive", param_hint="--patience")
    abandon = parse_fraction(max_abandon, "--max-abandon") if max_abandon else None
    if abandon is not None and patience is None:
        raise typer.BadParameter("needs --patience (Erlang A)", param_hint="--max-abandon")
    if abandon == 0.0:
        raise typer.BadParameter("must be above 0", param_hint="--max-abandon")
    occupancy = (
        parse_fraction(max_occupancy, "--max-occupancy", upper_inclusive=True)
        if max_occupancy
        else None
    )
    if occupancy == 0.0:
        raise typer.BadParameter("must be above 0", param_hint="--max-occupancy")
    return StaffingTarget(
        service_level=level,
        answer_time_s=threshold,
        max_asa_s=asa,
        max_abandonment=abandon,
        max_occupancy=occupancy,
        shrinkage=parse_fraction(shrinkage, "--shrinkage") if shrinkage else 0.0,
        patience_s=patience,
    )


def staffing_document(plan: IntervalStaffing, shrinkage: bool, erlang_a: bool) -> dict[str, Any]:
    """The JSON of one interval's staffing (extra keys only when their flags were given)."""
    document: dict[str, Any] = {
        "agents": plan.agents,
        "service_level": plan.service_level,
        "asa_s": plan.asa_s,
        "occupancy": plan.occupancy,
    }
    if shrinkage:
        document["scheduled_agents"] = plan.scheduled_agents
    if erlang_a:
        document["abandonment"] = plan.abandonment
    return document


def aht_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        return float(parse_duration(text if text[-1:].isalpha() else text + "s", "--aht"))
    if not value > 0 or math.isinf(value):
        raise typer.BadParameter("must be positive", param_hint="--aht")
    return value


def special_days(items: list[str]) -> dict[date, str]:
    out = {}
    for item in items:
        day_text, sep, name = item.partition("=")
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            raise typer.BadParameter(
                f"{item!r}: expected DATE=NAME", param_hint="--special"
            ) from None
        out[day] = name.strip() if sep and name.strip() else "special"
    return out
