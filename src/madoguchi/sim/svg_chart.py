"""Small inline SVG charts for the simulation report (drawn here: no scripts, no downloads)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

_WIDTH, _HEIGHT = 760, 260
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 16, 28, 44
PALETTE = ("#1f6feb", "#2da44e", "#cf222e", "#bf8700", "#8250df", "#57606a")


@dataclass(frozen=True, slots=True)
class Series:
    """One line of a chart; ``None`` values leave a gap."""

    name: str
    values: tuple[float | None, ...]
    color: str
    dashed: bool = False


def _nice_top(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** len(str(int(value))) / 10
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return float(step * magnitude)
    return value


def line_chart(
    title: str,
    labels: list[str],
    series: list[Series],
    *,
    percent: bool = False,
    y_max: float | None = None,
) -> str:
    """An SVG line chart of ``series`` over interval ``labels``."""
    plot_w = _WIDTH - _LEFT - _RIGHT
    plot_h = _HEIGHT - _TOP - _BOTTOM
    values = [v for s in series for v in s.values if v is not None]
    top = y_max if y_max is not None else _nice_top(max(values, default=0.0))
    count = max(len(labels), 1)

    def x(i: int) -> float:
        return _LEFT + (plot_w * (i + 0.5) / count)

    def y(v: float) -> float:
        return _TOP + plot_h * (1 - min(v, top) / top)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_WIDTH} {_HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" class="chart">',
        f'<text x="{_LEFT}" y="18" class="title">{escape(title)}</text>',
    ]
    for tick in range(5):
        value = top * tick / 4
        ty = y(value)
        text = f"{value * 100:.0f}%" if percent else f"{value:g}"
        parts.append(
            f'<line x1="{_LEFT}" x2="{_WIDTH - _RIGHT}" y1="{ty:.1f}" y2="{ty:.1f}" class="grid"/>'
        )
        parts.append(f'<text x="{_LEFT - 6}" y="{ty + 4:.1f}" class="ytick">{text}</text>')
    every = max(1, count // 12)
    for i, label in enumerate(labels):
        if i % every == 0:
            parts.append(
                f'<text x="{x(i):.1f}" y="{_HEIGHT - _BOTTOM + 16}" class="xtick">'
                f"{escape(label)}</text>"
            )
    for s in series:
        path: list[str] = []
        pen_down = False
        for i, v in enumerate(s.values):
            if v is None:
                pen_down = False
                continue
            path.append(f"{'L' if pen_down else 'M'}{x(i):.1f},{y(v):.1f}")
            pen_down = True
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        parts.append(
            f'<path d="{" ".join(path)}" fill="none" stroke="{s.color}" '
            f'stroke-width="2"{dash}><title>{escape(s.name)}</title></path>'
        )
    legend_x, legend_y = _LEFT, _HEIGHT - 14
    for s in series:
        width = 24 + 7 * len(s.name)
        if legend_x > _LEFT and legend_x + width > _WIDTH:
            legend_x, legend_y = _LEFT, legend_y + 16
        parts.append(
            f'<rect x="{legend_x}" y="{legend_y - 5}" width="12" height="4" fill="{s.color}"/>'
        )
        parts.append(
            f'<text x="{legend_x + 16}" y="{legend_y}" class="legend">{escape(s.name)}</text>'
        )
        legend_x += width
    height = legend_y + 8
    parts[0] = parts[0].replace(f"0 0 {_WIDTH} {_HEIGHT}", f"0 0 {_WIDTH} {height}")
    parts.append("</svg>")
    return "\n".join(parts)
