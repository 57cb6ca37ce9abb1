"""Reports of a simulated day: CSV and JSON interval tables and a self-contained HTML page.

The HTML page draws its charts as inline SVG (offered, answered and abandoned contacts, service
level against the target, occupancy and agents signed in, by interval) and has per-queue and
per-agent tables. Given two results (``--compare``) it draws both on the same charts. When
callers had queue-time treatment or callbacks, the tables show callbacks offered, accepted and
completed and messages left, and a table gives the callbacks of each queue by interval.
"""

from __future__ import annotations

import csv
import io
import json
from html import escape
from typing import Any

from madoguchi.sim.results import SimResult, Tally
from madoguchi.sim.svg_chart import PALETTE, Series, line_chart

INTERVAL_COLUMNS = (
    "start",
    "offered",
    "answered",
    "abandoned",
    "service_level",
    "asa_s",
    "abandon_rate",
    "aht_s",
    "occupancy",
    "agents_staffed",
    "callbacks_offered",
    "callbacks_accepted",
    "callbacks_completed",
    "messages_left",
    "announcements",
)


def interval_rows(result: SimResult) -> list[dict[str, Any]]:
    """One dict per interval with :data:`INTERVAL_COLUMNS`."""
    rows: list[dict[str, Any]] = []
    for interval in result.intervals:
        c = interval.contacts
        rows.append(
            {
                "start": interval.label,
                "offered": c.offered,
                "answered": c.answered,
                "abandoned": c.abandoned,
                "service_level": c.service_level,
                "asa_s": c.asa_s,
                "abandon_rate": c.abandon_rate,
                "aht_s": c.aht_s,
                "occupancy": interval.agents.occupancy,
                "agents_staffed": interval.agents_staffed,
                "callbacks_offered": c.callbacks_offered,
                "callbacks_accepted": c.callbacks_accepted,
                "callbacks_completed": c.callbacks_completed,
                "messages_left": c.messages_left,
                "announcements": c.announcements,
            }
        )
    return rows


def to_csv(results: SimResult | list[SimResult]) -> str:
    """The interval table as CSV (empty cells where a ratio has no denominator).

    Several results (``--compare``) get a leading ``scenario`` column.
    """
    many = isinstance(results, list) and len(results) > 1
    days = results if isinstance(results, list) else [results]
    columns = (("scenario",) if many else ()) + INTERVAL_COLUMNS
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for day in days:
        for row in interval_rows(day):
            cells = {
                k: "" if v is None else (f"{v:.4f}" if isinstance(v, float) else v)
                for k, v in row.items()
            }
            if many:
                cells["scenario"] = day.scenario
            writer.writerow(cells)
    return out.getvalue()


def to_json(results: list[SimResult]) -> str:
    """One result as a JSON object, several (``--compare``) as a list."""
    documents = [r.as_dict() for r in results]
    return (
        json.dumps(documents[0] if len(documents) == 1 else documents, indent=2, ensure_ascii=False)
        + "\n"
    )


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def _secs(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f} s"


def _tally_cells(t: Tally, treated: bool = False) -> str:
    values: tuple[object, ...] = (
        t.offered,
        t.answered,
        t.abandoned,
        _pct(t.service_level),
        _secs(t.asa_s),
        _pct(t.abandon_rate),
        _secs(t.aht_s),
    )
    if treated:
        values += (
            t.callbacks_offered,
            t.callbacks_accepted,
            t.callbacks_completed,
            t.messages_left,
        )
    return "".join(f"<td>{v}</td>" for v in values)


_TALLY_HEAD = (
    "<th>offered</th><th>answered</th><th>abandoned</th><th>service level</th>"
    "<th>ASA</th><th>abandon rate</th><th>AHT</th>"
)
_TREATED_HEAD = (
    "<th>callbacks offered</th><th>callbacks accepted</th><th>callbacks completed</th>"
    "<th>messages left</th>"
)


def callback_cells(result: SimResult) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """Callbacks of each queue by interval, as "offered / accepted / completed" cells.

    Returns the queues that had any (the columns) and one row per interval.
    """
    queues = [
        q
        for q, t in sorted(result.queues.items())
        if t.callbacks_offered or t.callbacks_accepted or t.callbacks_completed
    ]
    rows: list[tuple[str, list[str]]] = []
    for n, interval in enumerate(result.intervals):
        cells = []
        for q in queues:
            tallies = result.queue_intervals.get(q, ())
            t = tallies[n] if n < len(tallies) else Tally()
            cells.append(
                f"{t.callbacks_offered} / {t.callbacks_accepted} / {t.callbacks_completed}"
            )
        rows.append((interval.label, cells))
    return queues, rows


_STYLE = """
body{font-family:system-ui,"Noto Sans JP",sans-serif;margin:2rem;color:#1f2328;max-width:62rem}
h1{font-size:1.5rem} h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
th,td{border:1px solid #d0d7de;padding:.2rem .5rem;text-align:right}
th:first-child,td:first-child{text-align:left}
.chart{width:100%;max-width:760px;display:block;margin:.5rem 0}
.chart .title{font-size:14px;font-weight:600} .chart .grid{stroke:#eaeef2}
.chart .ytick{font-size:11px;text-anchor:end;fill:#57606a}
.chart .xtick{font-size:11px;text-anchor:middle;fill:#57606a}
.chart .legend{font-size:12px}
"""


def to_html(results: list[SimResult], target: float | None = None) -> str:
    """A self-contained HTML report of one day, or of several side by side."""
    labels = [i.label for i in results[0].intervals]
    many = len(results) > 1

    def name(r: SimResult, what: str) -> str:
        return f"{what} ({r.scenario})" if many else what

    volume: list[Series] = []
    service: list[Series] = []
    staffing: list[Series] = []
    for n, r in enumerate(results):
        dashed = n > 0
        rows = interval_rows(r)
        volume += [
            Series(
                name(r, "offered"), tuple(float(x["offered"]) for x in rows), PALETTE[0], dashed
            ),
            Series(
                name(r, "answered"), tuple(float(x["answered"]) for x in rows), PALETTE[1], dashed
            ),
            Series(
                name(r, "abandoned"), tuple(float(x["abandoned"]) for x in rows), PALETTE[2], dashed
            ),
        ]
        service.append(
            Series(
                name(r, "service level"),
                tuple(x["service_level"] for x in rows),
                PALETTE[n % len(PALETTE)],
                dashed,
            )
        )
        staffing.append(
            Series(
                name(r, "occupancy"),
                tuple(x["occupancy"] for x in rows),
                PALETTE[(n + 3) % len(PALETTE)],
                dashed,
            )
        )
    if target is not None:
        service.append(Series("target", (target,) * len(labels), PALETTE[5], True))
    agents = [
        Series(
            name(r, "agents signed in"),
            tuple(i.agents_staffed for i in r.intervals),
            PALETTE[(n + 4) % len(PALETTE)],
            n > 0,
        )
        for n, r in enumerate(results)
    ]
    title = " vs ".join(escape(r.scenario) for r in results)
    treated = any(r.treated for r in results)
    head = _TALLY_HEAD + (_TREATED_HEAD if treated else "")
    body = [
        f"<h1>Simulated day: {title}</h1>",
        "<h2>Totals</h2><table><tr><th>scenario</th>" + head + "</tr>",
        *(
            f"<tr><td>{escape(r.scenario)}</td>{_tally_cells(r.total, treated)}</tr>"
            for r in results
        ),
        "</table>",
        line_chart("Contacts by interval", labels, volume),
        line_chart("Service level", labels, service, percent=True, y_max=1.0),
        line_chart("Occupancy", labels, staffing, percent=True, y_max=1.0),
        line_chart("Agents signed in", labels, agents),
    ]
    for r in results:
        body.append(
            f"<h2>Queues — {escape(r.scenario)}</h2><table><tr><th>queue</th>" + head + "</tr>"
        )
        body += [
            f"<tr><td>{escape(q)}</td>{_tally_cells(t, treated)}</tr>"
            for q, t in sorted(r.queues.items())
        ]
        body.append("</table>")
        queues, callbacks = callback_cells(r)
        if queues:
            body.append(
                f"<h2>Callbacks by interval — {escape(r.scenario)}</h2>"
                "<p>offered / accepted / completed, per queue</p><table><tr><th>start</th>"
                + "".join(f"<th>{escape(q)}</th>" for q in queues)
                + "</tr>"
            )
            body += [
                f"<tr><td>{escape(label)}</td>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"
                for label, cells in callbacks
            ]
            body.append("</table>")
        body.append(
            f"<h2>Agents — {escape(r.scenario)}</h2><table><tr><th>agent</th>"
            "<th>handled</th><th>occupancy</th><th>busy</th><th>available</th>"
            "<th>not ready</th></tr>"
        )
        body += [
            f"<tr><td>{escape(a)}</td><td>{t.handled}</td><td>{_pct(t.occupancy)}</td>"
            f"<td>{t.busy_s / 60:.0f} min</td><td>{t.available_s / 60:.0f} min</td>"
            f"<td>{t.not_ready_s / 60:.0f} min</td></tr>"
            for a, t in sorted(r.agents.items())
        ]
        body.append("</table>")
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>madoguchi simulation — {title}</title><style>{_STYLE}</style></head>"
        "<body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
