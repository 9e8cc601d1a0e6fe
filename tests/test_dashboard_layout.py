"""Which QuickSight template fits an answer, and the dataset steps that give the answer exactly
that template's schema (QuickSight binds a dashboard only to a dataset with the template's whole
schema: every column, with its type). QuickSight itself is not here: the steps are played on the
column list the way QuickSight applies a logical table's transforms, failing where it would."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.aws.quicksight import _column_type, template_transforms
from engine.answers.dashboards import TABLE_COLUMNS, TEMPLATE_SCHEMA, layout
from engine.answers.records import AnswerRecord

CHART_KINDS = [None, "line", "bar", "hbar", "overlay", "panels", "change", "grouped", "stacked", "dots", "pie"]
ATHENA_TYPES = ["varchar", "bigint", "integer", "double", "decimal(18,2)", "date", "timestamp", "boolean"]
# answer columns named like the templates' fields are the cases a careless rename breaks
NAMES = ["period", "value", "series", "category", "column_1", "column_2", "region", "revenue", "orders",
         "order month", "customer_name", "segment", "signup_date", "is_active", "avg_basket"]


def record(columns: list[str], types: list[str], chart_kind: str | None) -> AnswerRecord:
    return AnswerRecord(answer_id="a1", question="q", sql="SELECT 1", columns=columns, types=types,
                        chart_kind=chart_kind)


def play(columns: dict[str, str], steps: list[dict[str, Any]]) -> dict[str, str]:
    """The dataset's columns (name -> QuickSight type) after its transforms, or AssertionError
    where QuickSight would refuse the dataset."""
    out = dict(columns)
    for step in steps:
        [(operation, body)] = step.items()
        if operation == "ProjectOperation":
            assert set(body["ProjectedColumns"]) <= set(out), body
            out = {name: out[name] for name in body["ProjectedColumns"]}
        elif operation == "RenameColumnOperation":
            old, new = body["ColumnName"], body["NewColumnName"]
            assert old in out and new not in out, (old, new, list(out))
            out = {new if name == old else name: kind for name, kind in out.items()}
        elif operation == "CastColumnTypeOperation":
            assert body["ColumnName"] in out and body["NewColumnType"] in ("STRING", "INTEGER", "DECIMAL", "DATETIME")
            out[body["ColumnName"]] = body["NewColumnType"]
        elif operation == "CreateColumnsOperation":
            for column in body["Columns"]:
                assert column["ColumnName"] not in out and column["ColumnId"]
                assert re.fullmatch(r"'[^'{}\\]*'", column["Expression"]), column["Expression"]  # a string literal
                out[column["ColumnName"]] = "STRING"
        else:
            raise AssertionError(f"unexpected transform {operation}")
    return out


def dataset_of(columns: list[str], types: list[str], chart_kind: str | None) -> tuple[str, dict[str, str]]:
    answer = record(columns, types, chart_kind)
    steps = template_transforms(answer)
    return (layout(columns, types, chart_kind).template,
            play({c: _column_type(t) for c, t in zip(columns, types)}, steps))


def test_a_measure_over_time_is_a_line_and_without_a_series_its_legend_names_the_measure() -> None:
    template, dataset = dataset_of(["order_month", "revenue"], ["date", "decimal(18,2)"], "line")
    assert template == "line" and dataset == dict(TEMPLATE_SCHEMA["line"])
    [fill] = template_transforms(record(["order_month", "revenue"], ["date", "decimal(18,2)"], "line"))[-1][
        "CreateColumnsOperation"]["Columns"]
    assert (fill["ColumnName"], fill["Expression"]) == ("series", "'revenue'")


def test_counts_are_cast_to_the_templates_decimal_and_categories_to_text() -> None:
    steps = template_transforms(record(["signup_year", "is_active", "customers"], ["integer", "boolean", "bigint"],
                                       "bar"))
    # a bigint count feeds "value" (DECIMAL in the template); the boolean category becomes text
    casts = {s["CastColumnTypeOperation"]["ColumnName"]: s["CastColumnTypeOperation"]["NewColumnType"]
             for s in steps if "CastColumnTypeOperation" in s}
    assert casts == {"category": "STRING", "value": "DECIMAL"}


def test_a_narrow_table_is_filled_to_the_templates_columns_and_a_wide_one_cut() -> None:
    template, dataset = dataset_of(["customer_name", "revenue", "signup_date"], ["varchar", "double", "date"], None)
    assert template == "table" and dataset == dict(TEMPLATE_SCHEMA["table"])
    wide = [f"c{i}" for i in range(TABLE_COLUMNS + 3)]
    template, dataset = dataset_of(wide, ["varchar"] * len(wide), None)
    assert template == "table" and list(dataset) == [f"column_{i}" for i in range(1, TABLE_COLUMNS + 1)]


def test_a_column_already_named_like_another_field_is_renamed_through_a_spare_name() -> None:
    # "series" feeds the category, "period" (the compared periods) the series
    columns, types = ["series", "period", "revenue"], ["varchar", "varchar", "double"]
    template, dataset = dataset_of(columns, types, "grouped")
    assert template == "bar" and dataset == dict(TEMPLATE_SCHEMA["bar"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(NAMES), st.sampled_from(ATHENA_TYPES)), min_size=1, max_size=11,
                unique_by=lambda c: c[0]),
       st.sampled_from(CHART_KINDS))
def test_every_answer_gets_exactly_its_templates_schema(columns: list[tuple[str, str]], chart_kind: str | None) -> None:
    template, dataset = dataset_of([c for c, _ in columns], [t for _, t in columns], chart_kind)
    assert dataset == dict(TEMPLATE_SCHEMA[template])
