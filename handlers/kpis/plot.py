"""Drawing a KPI chart as PNG with matplotlib's Agg backend.

matplotlib is imported on first use only: the console and `/kpi` without a chart start
without it (the console's cold start stays under 1.5 s). Labels use Noto Sans CJK SC,
shipped by the `mplfonts` package, so Chinese labels render (no tofu boxes); DejaVu Sans
is the fallback for anything else.
"""

from __future__ import annotations

import importlib.util
import io
import math
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from handlers.kpis.charts import Series

CJK_FONT = "NotoSansCJKsc-Regular.otf"


def _cjk_font_file() -> Path | None:
    # located without importing mplfonts (its import pulls in its own CLI tooling)
    spec = importlib.util.find_spec("mplfonts")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "fonts" / CJK_FONT
        if path.is_file():
            return path
    return None


@cache
def _matplotlib() -> tuple[Any, Any, list[str]]:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    families = ["DejaVu Sans"]
    font = _cjk_font_file()
    if font is not None:
        font_manager.fontManager.addfont(str(font))
        families.insert(0, font_manager.FontProperties(fname=str(font)).get_name())
    return Figure, FigureCanvasAgg, families


def _points(values: list[float | None], scale: float = 1) -> tuple[list[int], list[float]]:
    """Every day and its value; a day without data is NaN, which leaves a gap in the line."""
    return list(range(len(values))), [math.nan if v is None else scale * v for v in values]


def render(series: Series, words: dict[str, str]) -> bytes:
    """The chart as PNG bytes: tickets logged/resolved per day, the day's average first
    response against its target, breaches per day, and satisfaction once recorded."""
    figure_type, canvas_type, families = _matplotlib()
    from matplotlib import rc_context

    with rc_context({"font.family": families, "font.size": 9}):
        panels = 4 if any(v is not None for v in series.satisfaction) else 3
        height = 2.1 * panels
        fig = figure_type(figsize=(7.5, height), dpi=100)
        # fixed margins (inches turned into fractions), not the constrained layout: that
        # measures every label in an extra drawing pass, most of a chart's time
        fig.subplots_adjust(
            left=0.09, right=0.98, top=1 - 0.45 / height, bottom=0.55 / height, hspace=0.12
        )
        canvas_type(fig)
        axes = fig.subplots(panels, 1, sharex=True)
        days = [d[5:] for d in series.days]  # MM-DD
        x = list(range(len(days)))
        width = 0.4
        a = axes[0]
        a.bar([i - width / 2 for i in x], series.logged, width, label=words["logged"])
        a.bar([i + width / 2 for i in x], series.resolved, width, label=words["resolved"])
        a.legend(loc="upper left", fontsize=8)
        a.yaxis.get_major_locator().set_params(integer=True)
        b = axes[1]
        b.plot(*_points(series.first_response), marker="o")
        if series.first_response_target is not None:
            b.axhline(series.first_response_target, linestyle="--", color="grey")
            b.annotate(words["target"], (0, series.first_response_target), fontsize=8)
        b.set_ylabel(words["first_response"])
        c = axes[2]
        c.bar(x, series.breaches, color="firebrick")
        c.set_ylabel(words["breaches"])
        c.yaxis.get_major_locator().set_params(integer=True)
        if panels == 4:
            d = axes[3]
            d.plot(*_points(series.satisfaction, 100), marker="o", color="seagreen")
            d.set_ylabel(words["satisfaction"])
        axes[-1].set_xticks(x, days)
        axes[-1].set_xlabel(words["day"])
        fig.suptitle(series.title)
        out = io.BytesIO()
        fig.savefig(out, format="png", metadata={"Description": series.to_json()})
    return out.getvalue()
