"""Render a ChartSpec with matplotlib's object API on the Agg canvas (no pyplot global state).

``render_figure`` returns the Figure (tests read its series, ticks and bars); ``render_png`` the
PNG a chat shows: 1600 px wide (2x), title and subtitle top-left over the plot, margins measured
from the real labels so nothing is cut and no band is left empty.
"""

from __future__ import annotations

import io
from collections import Counter

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

from charts import draw, style
from charts.choose import ChartSpec
from engine.domain import ResultTable

_DRAWERS = {"line": draw.line, "overlay": draw.overlay, "panels": draw.panels, "bar": draw.bars,
            "hbar": draw.hbars, "grouped": draw.grouped, "stacked": draw.stacked, "change": draw.change,
            "dots": draw.dots}


class Canvas:
    """A figure with a header (title, subtitle, legend row) and axes placed under it in inches."""

    def __init__(self, spec: ChartSpec, height: float = style.HEIGHT) -> None:
        self.spec = spec
        self.figure = Figure(figsize=(style.WIDTH, height), dpi=style.DPI, facecolor="white")
        self.agg = FigureCanvasAgg(self.figure)
        self.renderer = self.agg.get_renderer()
        self.notes: list[str] = []  # said in the subtitle: "top 25 of 40 stores", "axis starts at 3"
        self.legend: list[tuple[str, str, str]] = []  # (label, colour, linestyle)
        self.left = 0.75  # inches left of the plot (y tick labels)
        self.bottom = 0.55  # inches below it (x tick labels)
        self.right = 0.3
        self.top_pad = 0.0  # inches between the header and the plot (panel titles)

    def text_width(self, text: str, size: float = style.TICK_SIZE) -> float:
        """Width of ``text`` in inches, measured by the renderer."""
        width, _, _ = self.renderer.get_text_width_height_descent(
            text, FontProperties(family=style.FONT, size=size), ismath=False)
        return width / style.DPI

    def axes(self, rows: int = 1, cols: int = 1, share: str = "x") -> list[Axes]:
        """The plot area(s) under the header; share "x" stacks panels, "y" puts them side by side."""
        width, height = self.figure.get_size_inches()
        top = self.header_height()
        grid = self.figure.add_gridspec(
            rows, cols, left=self.left / width, right=1 - self.right / width,
            top=1 - top / height, bottom=self.bottom / height,
            hspace=0.55 if rows > 1 else 0, wspace=0.12 if cols > 1 else 0)
        found: list[Axes] = []
        for i in range(rows * cols):
            kw = {}
            if found and share == "x":
                kw["sharex"] = found[0]
            elif found and share == "y":
                kw["sharey"] = found[0]
            found.append(self.figure.add_subplot(grid[i // cols, i % cols], **kw))
        for ax in found:
            _plain(ax)
        return found

    def header_height(self) -> float:
        height = 0.62 + (0.34 if self.spec.subtitle or self.notes else 0.0) + self.top_pad
        return height + 0.34 * len(self._legend_rows()) if self.legend else height

    def _legend_rows(self) -> list[list[tuple[float, str, str, str]]]:
        """The legend wrapped to the figure's width: rows of (x inches, label, colour, dash)."""
        width = self.figure.get_size_inches()[0]
        rows: list[list[tuple[float, str, str, str]]] = [[]]
        cursor = 0.22
        for label, colour, dash in self.legend:
            need = 0.4 + self.text_width(label, style.LEGEND_SIZE) + 0.28
            if rows[-1] and cursor + need > width - 0.15:
                rows.append([])
                cursor = 0.22
            rows[-1].append((cursor, label, colour, dash))
            cursor += need
        return rows

    def finish(self) -> Figure:
        width, height = self.figure.get_size_inches()
        x = 0.22 / width
        y = 1 - 0.2 / height
        title = _fit(self, self.spec.title or self.spec.y_label, style.TITLE_SIZE, width - 0.5, bold=True)
        self.figure.text(x, y, title, ha="left", va="top", fontsize=style.TITLE_SIZE, fontweight="bold",
                         color=style.INK, family=style.FONT)
        subtitle = " · ".join(p for p in [self.spec.subtitle, *self.notes] if p)
        if subtitle:
            self.figure.text(x, y - 0.42 / height, _fit(self, subtitle, style.SUBTITLE_SIZE, width - 0.5),
                             ha="left", va="top", fontsize=style.SUBTITLE_SIZE, color=style.SOFT,
                             family=style.FONT)
        if self.legend:
            self._legend(x, y - (0.86 if subtitle else 0.52) / height)
        return self.figure

    def _legend(self, x: float, y: float) -> None:
        """Swatches under the subtitle, left-aligned with the title, wrapped to the width."""
        width, height = self.figure.get_size_inches()
        for r, row in enumerate(self._legend_rows()):
            top = y - r * 0.36 / height
            for cursor, label, colour, dash in row:
                self.figure.add_artist(_swatch(self.figure, cursor / width, top, colour, dash))
                self.figure.text((cursor + 0.4) / width, top, label, ha="left", va="center", color=style.INK,
                                 fontsize=style.LEGEND_SIZE, family=style.FONT)


def _swatch(figure: Figure, x: float, y: float, colour: str, dash: str):  # noqa: ANN202 - a Line2D
    from matplotlib.lines import Line2D

    width, _ = figure.get_size_inches()
    return Line2D([x, x + 0.3 / width], [y, y], transform=figure.transFigure, color=colour,
                  linewidth=4 if dash == "bar" else 2.6, linestyle="-" if dash == "bar" else dash,
                  solid_capstyle="butt")


def _fit(canvas: Canvas, text: str, size: float, width: float, bold: bool = False) -> str:
    """``text`` cut with an ellipsis to fit ``width`` inches on one line."""
    if canvas.text_width(text, size) * (1.06 if bold else 1.0) <= width:
        return text
    while len(text) > 4 and canvas.text_width(text + "…", size) * (1.06 if bold else 1.0) > width:
        text = text[:-1]
    return text.rstrip(" ,·-") + "…"


def _plain(ax: Axes) -> None:
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color(style.MUTED)
    ax.tick_params(colors=style.SOFT, labelsize=style.TICK_SIZE, length=0, pad=6)
    ax.set_axisbelow(True)


def render_figure(spec: ChartSpec, table: ResultTable) -> Figure:
    """The chart as a matplotlib Figure (nothing drawn to pixels yet)."""
    return _DRAWERS[spec.kind](spec, _names_apart(spec, table), Canvas).finish()


def _names_apart(spec: ChartSpec, table: ResultTable) -> ResultTable:
    """Names that repeat told apart by their key ("Globex BV (1042)"), so two bars stay two."""
    if not spec.x_key:
        return table
    x, key = table.columns.index(spec.x), table.columns.index(spec.x_key)
    seen = Counter(str(row[x]) for row in table.rows)
    rows = [(*row[:x], f"{row[x]} ({row[key]})", *row[x + 1:]) if seen[str(row[x])] > 1 else row
            for row in table.rows]
    return ResultTable(table.columns, table.types, rows, table.truncated)


def render_png(spec: ChartSpec, table: ResultTable, dpi: int = style.DPI) -> bytes:
    figure = render_figure(spec, table)
    buffer = io.BytesIO()
    # zlib level 1: a third faster than the default for a few KB more (charts are mostly flat colour)
    figure.savefig(buffer, format="png", dpi=dpi, facecolor="white", pil_kwargs={"compress_level": 1})
    return buffer.getvalue()
