"""Charts: what is drawn, read back from matplotlib's objects (series, ticks, bars, texts), and the
PNG a chat shows (2x, no empty margins). Every defect found on real answers is a test here."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.image import imread
from matplotlib.patches import Rectangle

from charts import make_chart
from charts.choose import MAX_BARS, choose_chart, split_title
from charts.periods import infer_grain, ticks
from charts.render import render_figure, render_png
from engine.domain import ChartHints, ResultTable

MONTHS_2024 = [dt.date(2024, m, 1) for m in range(1, 13)]
MONTHS_2025 = [dt.date(2025, m, 1) for m in range(1, 13)]
TITLE = "Revenue (completed orders) by month, 1 Jan 2025 - 31 Dec 2025"


def figure_of(table: ResultTable, hints: ChartHints | None = None, title: str = TITLE,
              formats: dict[str, str] | None = None, labels: dict[str, str] | None = None):  # noqa: ANN201
    spec = choose_chart(table, title, labels or {}, formats or {"revenue": "currency"}, hints)
    assert spec is not None
    return spec, render_figure(spec, table)


def series_lines(ax):  # noqa: ANN001, ANN201 - the data lines (not grid or zero lines)
    return [line for line in ax.get_lines() if len(line.get_xdata()) > 1 and line.get_label()[:1] != "_"
            or len(set(np.asarray(line.get_xdata(), dtype=float))) > 2]


def bars(ax) -> list[Rectangle]:  # noqa: ANN001
    return [p for p in ax.patches if isinstance(p, Rectangle)]


def tick_texts(ax, axis: str = "x") -> list[str]:  # noqa: ANN001
    """Tick labels left to right (x), or top to bottom (y)."""
    labels = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
    placed = sorted(labels, key=lambda t: t.get_position()[0 if axis == "x" else 1], reverse=axis == "y")
    return [" ".join(t.get_text().split()) for t in placed]


def header(figure) -> str:  # noqa: ANN001 - title, subtitle and legend texts
    return " | ".join(t.get_text() for t in figure.texts)


# -- what gets no chart -----------------------------------------------------------------------
def test_single_value_has_no_chart() -> None:
    assert choose_chart(ResultTable(["revenue"], ["double"], [(12.5,)])) is None
    assert make_chart(ResultTable(["revenue"], ["double"], [(12.5,)]), "", {}, {}) is None


def test_no_measure_no_chart() -> None:
    assert choose_chart(ResultTable(["name"], ["varchar"], [("a",), ("b",)])) is None


def test_a_listing_of_rows_gets_no_chart() -> None:
    # today's defect: order ids plotted against order time
    orders = ResultTable(["order_id", "order_ts", "customer_name", "order_value"],
                         ["bigint", "timestamp", "varchar", "double"],
                         [(i, dt.datetime(2025, 12, 31, 10, i), f"C{i}", 1000.0 + i) for i in range(5)])
    assert choose_chart(orders, "Orders", hints=ChartHints(listing=True)) is None
    assert make_chart(orders, "Orders", {}, {}, ChartHints(listing=True)) is None


# -- compared periods -------------------------------------------------------------------------
def test_compared_periods_with_a_grain_are_one_line_per_period_on_a_shared_month_axis() -> None:
    rows = [("2024", m, 1000.0 + i) for i, m in enumerate(MONTHS_2024)]
    rows += [("2025", m, 2000.0 + i) for i, m in enumerate(MONTHS_2025)]
    table = ResultTable(["period", "month", "revenue"], ["varchar", "date", "double"], rows)
    spec, figure = figure_of(table, ChartHints(time="month", grain="month", periods=("2024", "2025"),
                                               measures=("revenue",)))
    assert spec.kind == "overlay"
    [ax] = figure.axes
    lines = [line for line in ax.get_lines() if line.get_label() in ("2024", "2025")]
    assert sorted(line.get_label() for line in lines) == ["2024", "2025"]
    for line in lines:  # both periods over the same twelve positions, not two bars for December
        assert list(line.get_xdata()) == list(range(12))
    assert tick_texts(ax) == ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    assert "2024" in header(figure) and "2025" in header(figure)  # the legend names the periods


def test_compared_periods_by_a_category_are_grouped_bars() -> None:
    rows = [(p, c, v) for c, base in (("Mobile", 1.0), ("Online", 3.0), ("Store", 2.0))
            for p, v in (("2024", base), ("2025", base * 1.5))]
    table = ResultTable(["period", "sales_channel", "revenue"], ["varchar", "varchar", "double"], rows)
    spec, figure = figure_of(table, ChartHints(periods=("2024", "2025"), measures=("revenue",),
                                               dimensions=("sales_channel",)))
    assert (spec.kind, spec.x, spec.series) == ("grouped", "sales_channel", "period")
    [ax] = figure.axes
    rects = bars(ax)
    assert len(rects) == 6
    assert len({round(r.get_x(), 6) for r in rects}) == 6  # side by side, never drawn over each other
    assert tick_texts(ax) == ["Online", "Store", "Mobile"]  # by value


# -- time -------------------------------------------------------------------------------------
def test_two_measures_are_both_drawn_in_their_own_panels() -> None:
    rows = [(m, 1_000_000.0 + i * 10_000, 3000 + i) for i, m in enumerate(MONTHS_2025)]
    table = ResultTable(["month", "revenue", "orders"], ["date", "double", "bigint"], rows)
    spec, figure = figure_of(table, ChartHints(time="month", grain="month", measures=("revenue", "orders")),
                             title="Revenue (completed orders) and Orders (all statuses) by month, 2025",
                             formats={"revenue": "currency", "orders": "integer"},
                             labels={"revenue": "Revenue", "orders": "Orders"})
    assert spec.kind == "panels"
    assert len(figure.axes) == 2
    drawn = [list(ax.get_lines()[0].get_ydata()) for ax in figure.axes]
    assert drawn == [list(table.column("revenue")), [float(v) for v in table.column("orders")]]
    assert [ax.get_title(loc="left") for ax in figure.axes] == ["Revenue", "Orders"]
    assert tick_texts(figure.axes[0], "y")[-1].startswith("$")  # each panel its own units


def test_month_quarter_and_week_ticks_read_like_people_write_them() -> None:
    _, labels = ticks(MONTHS_2025, "month")
    assert [" ".join(t.split()) for t in labels][:3] == ["Jan 2025", "Feb", "Mar"]
    quarters = [dt.date(y, m, 1) for y in (2024, 2025) for m in (1, 4, 7, 10)]
    _, labels = ticks(quarters, "quarter")
    assert [" ".join(t.split()) for t in labels] == ["Q1 2024", "Q2", "Q3", "Q4", "Q1 2025", "Q2", "Q3", "Q4"]
    weeks = [dt.date(2025, 6, 2) + dt.timedelta(weeks=i) for i in range(6)]
    _, labels = ticks(weeks, "week")
    assert [" ".join(t.split()) for t in labels] == ["W23 2025", "W24", "W25", "W26", "W27", "W28"]
    two_years = [dt.date(y, m, 1) for y in (2024, 2025) for m in range(1, 13)]
    _, labels = ticks(two_years, "month")  # thinned to quarters, the year where it changes
    assert [" ".join(t.split()) for t in labels] == ["Jan 2024", "Apr", "Jul", "Oct", "Jan 2025", "Apr", "Jul", "Oct"]


def test_quarterly_data_gets_quarterly_ticks_even_from_sql_without_hints() -> None:
    quarters = [dt.date(y, m, 1) for y in (2024, 2025) for m in (1, 4, 7, 10)]
    assert infer_grain(quarters) == "quarter"
    table = ResultTable(["quarter", "revenue"], ["date", "double"], [(q, 1.0 + i) for i, q in enumerate(quarters)])
    _, figure = figure_of(table, None, title="Revenue by quarter")
    assert tick_texts(figure.axes[0]) == ["Q1 2024", "Q2", "Q3", "Q4", "Q1 2025", "Q2", "Q3", "Q4"]


def test_a_line_per_category_keeps_ten_series_apart() -> None:
    rows = [(m, f"City {c:02d}", float(c * 100 + i)) for m in MONTHS_2025 for i, c in enumerate(range(14))]
    table = ResultTable(["month", "city", "orders"], ["date", "varchar", "bigint"], rows)
    spec, figure = figure_of(table, ChartHints(time="month", grain="month", measures=("orders",),
                                               dimensions=("city",)),
                             title="Orders (all statuses) by month and store city, 2025",
                             labels={"city": "Store city"}, formats={"orders": "integer"})
    [ax] = figure.axes
    lines = [line for line in ax.get_lines() if line.get_label().startswith("City")]
    assert len(lines) == 10
    assert len({(to_hex(line.get_color()), line.get_linestyle()) for line in lines}) == 10
    assert {line.get_label() for line in lines} == {f"City {c:02d}" for c in range(4, 14)}  # the largest ten
    assert "top 10 of 14 store cities" in header(figure)


def test_growth_plots_the_change() -> None:
    rows = [(m, 100.0 + i, None if i == 0 else (0.1 if i % 2 else -0.05)) for i, m in enumerate(MONTHS_2025)]
    table = ResultTable(["month", "revenue", "change_vs_previous"], ["date", "double", "double"], rows)
    spec, figure = figure_of(table, ChartHints(time="month", grain="month", measures=("revenue",),
                                               growth="change_vs_previous"),
                             title="Revenue (completed orders) by month, change vs previous month, 2025")
    assert (spec.kind, spec.y, spec.y_format) == ("change", "change_vs_previous", "percent")
    [ax] = figure.axes
    heights = [round(r.get_height(), 6) for r in bars(ax)]
    assert heights == [0.1 if i % 2 else -0.05 for i in range(1, 12)]
    colours = {to_hex(r.get_facecolor()) for r in bars(ax)}
    assert len(colours) == 2  # above and below zero told apart
    assert figure.texts[0].get_text() == "Revenue by month: change vs previous month"


def test_an_average_of_scores_starts_at_a_sensible_floor_and_says_so() -> None:
    rows = [(m, 3.38 + (i % 3) * 0.02) for i, m in enumerate(MONTHS_2025)]
    table = ResultTable(["month", "csat"], ["date", "double"], rows)
    spec, figure = figure_of(table, ChartHints(time="month", grain="month", measures=("csat",), averages=("csat",)),
                             title="CSAT (rated tickets, 1-5) by month, 2025", formats={"csat": "decimal"})
    [ax] = figure.axes
    low, high = ax.get_ylim()
    assert low == pytest.approx(3.0) and high > 3.42
    assert "axis starts at 3.0" in header(figure)
    assert figure.texts[0].get_text() == "CSAT by month"
    # a total (additive) starts at zero whatever its values
    totals = ResultTable(["month", "revenue"], ["date", "double"], [(m, 1000.0 + i) for i, m in enumerate(MONTHS_2025)])
    _, figure = figure_of(totals, ChartHints(time="month", grain="month", measures=("revenue",)))
    assert figure.axes[0].get_ylim()[0] == 0


def test_averages_by_category_are_dots_on_the_floor_not_truncated_bars() -> None:
    table = ResultTable(["channel", "csat"], ["varchar", "double"], [("Email", 3.41), ("Chat", 3.39), ("Phone", 3.38)])
    spec, figure = figure_of(table, ChartHints(measures=("csat",), dimensions=("channel",), averages=("csat",)),
                             title="CSAT (rated tickets, 1-5) by ticket channel, all time", formats={"csat": "decimal"})
    assert spec.kind == "dots"
    [ax] = figure.axes
    assert bars(ax) == [] and ax.get_xlim()[0] == pytest.approx(3.0)
    assert tick_texts(ax, "y") == ["Email", "Chat", "Phone"]  # the highest on top


# -- categories -------------------------------------------------------------------------------
def test_bars_are_sorted_by_value_with_value_labels() -> None:
    table = ResultTable(["region", "revenue"], ["varchar", "double"], [("APAC", 5.8e6), ("EMEA", 11.4e6), ("AMER", 10.7e6)])
    spec, figure = figure_of(table, ChartHints(measures=("revenue",), dimensions=("region",)),
                             title="Revenue (completed orders) by customer region, 2024")
    assert spec.kind == "bar"
    [ax] = figure.axes
    assert tick_texts(ax) == ["EMEA", "AMER", "APAC"]
    assert [round(r.get_height()) for r in bars(ax)] == [11_400_000, 10_700_000, 5_800_000]
    assert [t.get_text() for t in ax.texts] == ["$11.4M", "$10.7M", "$5.8M"]


def test_a_ranked_question_keeps_its_order() -> None:
    table = ResultTable(["region", "revenue"], ["varchar", "double"], [("APAC", 1.0), ("AMER", 2.0), ("EMEA", 3.0)])
    _, figure = figure_of(table, ChartHints(measures=("revenue",), dimensions=("region",), ranked=True))
    assert tick_texts(figure.axes[0]) == ["APAC", "AMER", "EMEA"]  # "bottom 3": lowest first, as asked


def test_many_categories_are_cut_and_the_cut_is_said() -> None:
    table = ResultTable(["store", "revenue"], ["varchar", "double"], [(f"Store {i}", float(i)) for i in range(40)])
    spec, figure = figure_of(table, ChartHints(measures=("revenue",), dimensions=("store",)),
                             title="Revenue (completed orders) by store, 2025", labels={"store": "Store"})
    assert spec.kind == "hbar"
    [ax] = figure.axes
    assert len(bars(ax)) == MAX_BARS
    assert tick_texts(ax, "y")[:2] == ["Store 39", "Store 38"]  # the largest at the top
    assert "top 25 of 40 stores" in header(figure)


def test_shares_plot_the_share_with_the_asked_value_highlighted() -> None:
    table = ResultTable(["sales_channel", "revenue", "share_of_total"], ["varchar", "double", "double"],
                        [("Online", 43.8e6, 0.522), ("Mobile", 23.3e6, 0.278), ("Store", 16.9e6, 0.201)])
    spec, figure = figure_of(table, ChartHints(measures=("revenue",), dimensions=("sales_channel",),
                                               share="share_of_total", highlight=("online",)),
                             title="Revenue (completed orders) by sales channel, share of total, all time")
    assert (spec.y, spec.y_format) == ("share_of_total", "percent")
    [ax] = figure.axes
    assert [round(r.get_height(), 3) for r in bars(ax)] == [0.522, 0.278, 0.201]
    colours = [to_hex(r.get_facecolor()) for r in bars(ax)]
    assert colours[0] != colours[1] == colours[2]  # Online stands out
    assert [t.get_text() for t in ax.texts] == ["52.2%", "27.8%", "20.1%"]
    assert figure.texts[0].get_text() == "Share of revenue by sales channel"


def test_two_breakdowns_are_grouped_bars_with_a_legend_or_stacked_when_many() -> None:
    rows = [(c, ch, float(i * 3 + j + 1)) for i, c in enumerate(["A", "B", "C"]) for j, ch in enumerate(["Online", "Store"])]
    table = ResultTable(["category", "channel", "revenue"], ["varchar", "varchar", "double"], rows)
    spec, figure = figure_of(table, ChartHints(measures=("revenue",), dimensions=("category", "channel")))
    assert (spec.kind, spec.series) == ("grouped", "channel")
    [ax] = figure.axes
    assert len(bars(ax)) == 6 and len({round(r.get_x(), 6) for r in bars(ax)}) == 6
    assert "Online" in header(figure) and "Store" in header(figure)
    rows = [(c, f"Brand {b}", float(b + 1)) for c in "ABCD" for b in range(12)]
    table = ResultTable(["category", "brand", "revenue"], ["varchar", "varchar", "double"], rows)
    spec, figure = figure_of(table, ChartHints(measures=("revenue",), dimensions=("category", "brand")))
    assert spec.kind == "stacked"
    [ax] = figure.axes
    lefts = {round(r.get_x(), 6) for r in bars(ax)}
    assert len(lefts) > 4  # stacked end to end, not drawn over each other
    assert "Other" in header(figure)


def test_titles_are_short_and_the_definitions_go_under_them() -> None:
    assert split_title("Return rate (returned / (completed + returned) orders) by product category, 1 Jan 2025 - "
                       "31 Dec 2025") == ("Return rate by product category",
                                          "Returned / (completed + returned) orders · 1 Jan 2025 - 31 Dec 2025")
    assert split_title("Revenue (completed orders) and Units sold (completed orders) by category, all time") == (
        "Revenue and units sold by category", "Completed orders · all time")


# -- the PNG ----------------------------------------------------------------------------------
@pytest.mark.parametrize("table", [
    ResultTable(["month", "revenue"], ["date", "double"], [(m, float(i * 1000)) for i, m in enumerate(MONTHS_2024)]),
    ResultTable(["region", "rate"], ["varchar", "double"], [("EMEA", 0.1), ("AMER", None)]),
    ResultTable(["product", "revenue"], ["varchar", "double"], [(f"Product {i}", float(i)) for i in range(40)]),
])
def test_png_is_2x_and_has_no_empty_margin_at_the_bottom(table: ResultTable) -> None:
    spec = choose_chart(table, "A title that is long enough to need cutting " * 3, formats={"revenue": "currency"})
    png = render_png(spec, table)
    image = imread(io.BytesIO(png), format="png")[..., :3]
    assert png.startswith(b"\x89PNG") and image.shape[1] == 1600 and image.shape[0] >= 900
    ink = np.where((image < 0.9).any(axis=(1, 2)))[0]
    assert image.shape[0] - ink.max() < 0.08 * image.shape[0]  # the last text is near the bottom edge
    figure = render_figure(spec, table)
    sizes = [t.get_fontsize() for ax in figure.axes for t in ax.get_xticklabels() + ax.get_yticklabels()]
    assert min(sizes) >= 12  # readable when Slack shows it as a thumbnail


def test_repeating_names_are_told_apart_by_their_key() -> None:
    table = ResultTable(["customer", "customer_id", "revenue"], ["varchar", "bigint", "double"],
                        [("Globex BV", 1, 9.0), ("Globex BV", 7, 8.0), ("Stark Ltd", 3, 5.0)])
    spec = choose_chart(table, formats={"customer_id": "id"})
    assert (spec.x, spec.y, spec.x_key) == ("customer", "revenue", "customer_id")
    assert choose_chart(table).y == "customer_id"  # without the format the key looks like a measure
    figure = render_figure(spec, table)
    shown = {" ".join(t.get_text().split())
             for ax in figure.axes for t in ax.get_xticklabels() + ax.get_yticklabels() + ax.texts}
    assert {"Globex BV (1)", "Globex BV (7)", "Stark Ltd"} <= shown
