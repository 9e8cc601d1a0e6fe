"""The Bedrock planner (Converse with tool use), on recorded responses through botocore's Stubber.

The rules answer first; the planner is asked only when they cannot read a question, and every
reply it gives is validated, compiled or guarded like any other query.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from adapters.aws.bedrock_planner import BedrockPlanner
from bot.aws_settings import ConfigError
from bot.bootstrap import LocalApp, build_planner
from bot.settings import Settings
from engine.domain import LOCAL_ANALYST, Principal
from engine.service import QueryEngine

AS_OF = dt.date(2025, 6, 15)
MODEL_ID = "anthropic.claude-3-5-sonnet-20240620-v1:0"


def tool_use(name: str, data: dict[str, Any]) -> dict[str, Any]:
    """A Converse response calling one tool, as Bedrock returns it."""
    return {
        "output": {"message": {"role": "assistant", "content": [
            {"toolUse": {"toolUseId": f"tooluse_{name}", "name": name, "input": data}}]}},
        "stopReason": "tool_use",
        "usage": {"inputTokens": 2210, "outputTokens": 74, "totalTokens": 2284},
        "metrics": {"latencyMs": 912},
    }


class Recorded:
    """A planner-wired engine over the test lake, its Stubber, the requests and the SQL run."""

    def __init__(self, app: LocalApp) -> None:
        client = boto3.client("bedrock-runtime", region_name="us-east-1",
                              aws_access_key_id="test", aws_secret_access_key="test")
        self.requests: list[dict[str, Any]] = []
        client.meta.events.register("before-parameter-build.bedrock-runtime.Converse",
                                    lambda params, **_: self.requests.append(params))
        self.stubber = Stubber(client)
        self.executed: list[str] = []
        executor = app.engine.executor
        recorded = self

        class CountingExecutor:
            def execute(self, sql: str, principal: Principal, max_rows: int):  # noqa: ANN201
                recorded.executed.append(sql)
                return executor.execute(sql, principal, max_rows)  # type: ignore[union-attr]

        self.engine = QueryEngine(app.model, app.catalog, CountingExecutor(),  # type: ignore[arg-type]
                                  values=app.engine.values,
                                  planner=BedrockPlanner(client, MODEL_ID, app.model))

    def reply(self, *responses: dict[str, Any]) -> "Recorded":
        for response in responses:
            self.stubber.add_response("converse", response)
        return self

    def ask(self, question: str):  # noqa: ANN201
        with self.stubber:
            answer = self.engine.ask(question, LOCAL_ANALYST, AS_OF, charts=False)
            self.stubber.assert_no_pending_responses()
        return answer

    def prompt(self, n: int) -> str:
        return self.requests[n]["messages"][0]["content"][0]["text"]


@pytest.fixture
def recorded(app: LocalApp) -> Recorded:
    return Recorded(app)


def test_rules_answer_without_the_planner(recorded: Recorded) -> None:
    answer = recorded.ask("revenue by category in 2024")  # no stubbed response: a call would fail
    assert answer.status == "answered" and recorded.requests == []


def test_refusals_and_ambiguity_never_reach_the_planner(recorded: Recorded) -> None:
    assert recorded.ask("delete all cancelled orders").status == "refused"
    assert recorded.ask("revenue and tickets").status == "clarify"  # read, not unreadable
    assert recorded.requests == [] and recorded.executed == []


def test_planner_semantic_query_is_compiled_by_the_engine(recorded: Recorded) -> None:
    recorded.reply(tool_use("semantic_query", {
        "metrics": ["revenue"], "filters": [{"dimension": "category", "values": ["electronics"]}],
        "time_range": {"start": "2024-01-01", "end": "2024-12-31"}}))
    answer = recorded.ask("how did the top line look for gadgets and gizmos in 2024")
    assert answer.status == "answered", answer.message
    assert answer.message.startswith("Revenue (completed orders), product category is Electronics, "
                                     "1 Jan 2024 - 31 Dec 2024: $")
    assert "products.category = 'Electronics'" in answer.sql  # the model's value, not the reply's
    request = recorded.requests[0]
    assert request["modelId"] == MODEL_ID and request["toolConfig"]["toolChoice"] == {"any": {}}
    assert [t["toolSpec"]["name"] for t in request["toolConfig"]["tools"]] == [
        "semantic_query", "sql_query", "ask_clarification"]
    prompt = recorded.prompt(0)
    assert "Question: how did the top line look for gadgets and gizmos in 2024" in prompt
    assert "revenue: Revenue = SUM(order_items.net_amount)" in prompt and "sales.orders(" in prompt


def test_planner_sql_outside_the_model_runs_after_the_guard(recorded: Recorded) -> None:
    recorded.reply(tool_use("sql_query", {
        "sql": "SELECT MAX(quantity) AS largest_line_quantity FROM sales.order_items",
        "explanation": "largest quantity on one order line"}))
    answer = recorded.ask("what is the largest quantity anyone put on a single order line")
    assert answer.status == "answered", answer.message
    assert answer.table.columns == ["largest_line_quantity"] and answer.table.rows[0][0] >= 1
    assert "written by the AI planner" in answer.message and "LIMIT" in answer.sql


def test_malicious_ddl_from_the_planner_is_stopped(recorded: Recorded, lake: Path) -> None:
    recorded.reply(
        tool_use("sql_query", {"sql": "DROP TABLE sales.orders"}),
        tool_use("sql_query", {"sql": "SELECT 1 AS x; DELETE FROM sales.orders"}),
        tool_use("sql_query", {"sql": "INSERT INTO sales.orders SELECT * FROM sales.orders"}),
    )
    files_before = sorted(p.name for p in (lake / "sales" / "orders").rglob("*.parquet"))
    answer = recorded.ask("could you tidy up the order book for me")
    assert answer.status == "refused" and answer.table is None
    assert "could not build a safe query" in answer.message
    assert recorded.executed == []  # nothing ran
    assert len(recorded.requests) == 3  # one plan, two repairs, then stop
    assert "The SQL guard rejected your query: Only SELECT queries are allowed; this is a DROP" \
        in recorded.prompt(1)
    assert "exactly one statement" in recorded.prompt(2)
    assert sorted(p.name for p in (lake / "sales" / "orders").rglob("*.parquet")) == files_before


def test_guard_rejection_goes_back_for_a_repair(recorded: Recorded) -> None:
    recorded.reply(
        tool_use("sql_query", {"sql": "SELECT SUM(revenue) AS total FROM sales.orders"}),
        tool_use("semantic_query", {"metrics": ["orders"], "grain": "year"}),
    )
    answer = recorded.ask("how big was the business each year in terms of purchases made")
    assert answer.status == "answered", answer.message
    assert "refers to something the catalog doesn't have" in recorded.prompt(1)
    assert answer.table.columns == ["year", "orders"]


def test_unknown_values_are_sent_back_with_the_known_ones(recorded: Recorded) -> None:
    recorded.reply(
        tool_use("semantic_query", {"metrics": ["units_sold"],
                                    "filters": [{"dimension": "category", "values": ["Gadgets"]}]}),
        tool_use("semantic_query", {"metrics": ["units_sold"],
                                    "filters": [{"dimension": "category", "values": ["Electronics"]}]}),
    )
    answer = recorded.ask("how many gizmos went out the door")
    assert answer.status == "answered", answer.message
    assert "'Gadgets' is not a value of category" in recorded.prompt(1) and "Electronics" in recorded.prompt(1)


def test_execution_error_goes_back_for_a_repair(recorded: Recorded) -> None:
    recorded.reply(
        tool_use("sql_query", {"sql": "SELECT CAST(customer_name AS INTEGER) AS n FROM sales.customers"}),
        tool_use("sql_query", {"sql": "SELECT COUNT(*) AS customers_named FROM sales.customers"}),
    )
    answer = recorded.ask("how many folks have a name on file")
    assert answer.status == "answered", answer.message
    assert "failed when it ran" in recorded.prompt(1)
    assert len(recorded.executed) == 2


def test_planner_clarification_reaches_the_user(recorded: Recorded) -> None:
    recorded.reply(tool_use("ask_clarification", {
        "question": "Do you mean revenue or units sold?", "options": ["Revenue", "Units sold"]}))
    answer = recorded.ask("how are the widgets doing")
    assert answer.status == "clarify" and answer.options == ["Revenue", "Units sold"]


def test_planner_outage_falls_back_to_the_rules_question(recorded: Recorded) -> None:
    recorded.stubber.add_client_error("converse", "ThrottlingException", "Too many requests", 429)
    answer = recorded.ask("how are the widgets doing")
    assert answer.status == "clarify" and "I don't know" in answer.message


def test_planner_configuration(settings: Settings) -> None:
    from dataclasses import replace

    assert build_planner(settings, None) is None  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="ATHENA_BOT_BEDROCK_MODEL_ID"):
        build_planner(replace(settings, planner="bedrock"), None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ATHENA_BOT_PLANNER"):
        Settings.from_env({"ATHENA_BOT_PLANNER": "gpt"})
    configured = Settings.from_env({"ATHENA_BOT_PLANNER": "bedrock", "ATHENA_BOT_BEDROCK_MODEL_ID": MODEL_ID,
                                    "ATHENA_BOT_BEDROCK_REGION": "us-west-2"})
    from engine.semantic_model import load_model

    planner = build_planner(configured, load_model(configured.model_path))
    assert isinstance(planner, BedrockPlanner) and planner.model_id == MODEL_ID
    assert planner.client.meta.region_name == "us-west-2"
