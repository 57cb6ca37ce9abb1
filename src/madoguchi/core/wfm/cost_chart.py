"""Charts of in-house cost per contact against outsourcing prices: SVG and plain text.

The x axis is monthly calls on a log scale, the y axis yen per call. Built as strings (no
plotting library); the caller decides where to write them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from madoguchi.core.wfm.cost import CostBreakdown

_PRICE_COLOURS = ("#d62728", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b")


def escape(text: str) -> str:
    """Text made safe inside SVG markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _nice_step(span: float) -> float:
    raw = span / 6.0
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 5.0):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10.0 * magnitude


def cost_chart_svg(
    curve: Sequence[CostBreakdown],
    prices: Sequence[float],
    break_even: Mapping[float, float | None],
    title: str = "Cost per call: in-house vs outsourcing",
    width: int = 760,
    height: int = 440,
) -> str:
    """An SVG document: the in-house curve, one line per price, break-even markers."""
    if not curve:
        raise ValueError("the cost curve is empty")
    left, right, top, bottom = 70, 170, 40, 50
    plot_w, plot_h = width - left - right, height - top - bottom
    xs = [c.monthly_calls for c in curve]
    x_lo, x_hi = math.log10(min(xs)), math.log10(max(xs))
    y_max = max(max(prices, default=0.0) * 1.5, 1.0)
    y_step = _nice_step(y_max)
    y_max = math.ceil(y_max / y_step) * y_step

    def px(volume: float) -> float:
        return left + (math.log10(volume) - x_lo) / max(x_hi - x_lo, 1e-9) * plot_w

    def py(yen: float) -> float:
        return top + plot_h - min(yen, y_max) / y_max * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left}" y="22" font-size="15">{escape(title)}</text>',
    ]
    y = 0.0
    while y <= y_max + 1e-9:
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{py(y):.1f}" y2="{py(y):.1f}" '
            'stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{py(y) + 4:.1f}" text-anchor="end">¥{y:,.0f}</text>'
        )
        y += y_step
    for exponent in range(math.ceil(x_lo), math.floor(x_hi) + 1):
        x = px(10.0**exponent)
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + plot_h}" stroke="#ddd"/>'
            f'<text x="{x:.1f}" y="{top + plot_h + 18}" text-anchor="middle">'
            f"{10**exponent:,}</text>"
        )
    parts.append(
        f'<text x="{left + plot_w / 2}" y="{height - 10}" text-anchor="middle">'
        "calls per month (log scale)</text>"
    )
    points = " ".join(f"{px(c.monthly_calls):.1f},{py(c.per_contact):.1f}" for c in curve)
    parts.append(f'<polyline points="{points}" fill="none" stroke="#1f77b4" stroke-width="2"/>')
    legend_y = top + 10
    parts.append(
        f'<line x1="{left + plot_w + 15}" x2="{left + plot_w + 35}" y1="{legend_y}" '
        f'y2="{legend_y}" stroke="#1f77b4" stroke-width="2"/>'
        f'<text x="{left + plot_w + 40}" y="{legend_y + 4}">in-house</text>'
    )
    for i, price in enumerate(prices):
        colour = _PRICE_COLOURS[i % len(_PRICE_COLOURS)]
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{py(price):.1f}" y2="{py(price):.1f}" '
            f'stroke="{colour}" stroke-dasharray="6 4"/>'
        )
        label = f"outsourced ¥{price:,.0f}"
        volume = break_even.get(price)
        if volume is not None:
            parts.append(
                f'<circle cx="{px(volume):.1f}" cy="{py(price):.1f}" r="4" fill="{colour}"/>'
            )
            label += f" (≥{volume:,.0f}/mo)"
        ly = legend_y + 20 * (i + 1)
        parts.append(
            f'<line x1="{left + plot_w + 15}" x2="{left + plot_w + 35}" y1="{ly}" y2="{ly}" '
            f'stroke="{colour}" stroke-dasharray="6 4"/>'
            f'<text x="{left + plot_w + 40}" y="{ly + 4}" font-size="10">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def cost_chart_text(
    curve: Sequence[CostBreakdown], prices: Sequence[float], columns: int = 60, rows: int = 14
) -> str:
    """A plain-text chart: ``*`` the in-house cost per call, ``-`` the outsourcing prices."""
    if not curve:
        raise ValueError("the cost curve is empty")
    y_max = max(max(prices, default=0.0) * 1.5, 1.0)
    grid = [[" "] * columns for _ in range(rows)]

    def row_of(yen: float) -> int:
        return rows - 1 - min(rows - 1, round(min(yen, y_max) / y_max * (rows - 1)))

    for price in prices:
        for c in range(columns):
            grid[row_of(price)][c] = "-"
    for c in range(columns):
        point = curve[round(c * (len(curve) - 1) / max(columns - 1, 1))]
        grid[row_of(point.per_contact)][c] = "*"
    lines = []
    for r, cells in enumerate(grid):
        yen = (rows - 1 - r) / (rows - 1) * y_max
        lines.append(f"¥{yen:>6,.0f} |{''.join(cells)}")
    lo, hi = curve[0].monthly_calls, curve[-1].monthly_calls
    lines.append(" " * 8 + "+" + "-" * columns)
    lines.append(f"{'':8} {lo:<,.0f}{'calls/month (log)':^{columns - 16}}{hi:>,.0f}")
    return "\n".join(lines) + "\n"
