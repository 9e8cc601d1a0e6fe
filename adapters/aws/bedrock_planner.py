"""The LLM planner on Amazon Bedrock: the Converse API with tool use.

The model must answer by calling one of three tools: ``semantic_query`` (preferred: the engine
compiles it), ``sql_query`` (one Athena SELECT for questions outside the model; the SQL guard
checks it) or ``ask_clarification``. Free text is not an answer.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from engine.errors import ExecutionFailed
from engine.planner import PlannerReply, PlanRequest, query_schema
from engine.semantic_model import SemanticModel

log = logging.getLogger(__name__)

SYSTEM_PROMPT = """You turn business questions into queries over a company's data lake on Amazon Athena.
Answer only by calling exactly one tool:
- semantic_query when the question can be answered with the metrics and dimensions of the semantic
  model (always prefer this; filter values must be values listed in the model);
- sql_query with one read-only Athena (Trino) SELECT over the listed tables when it cannot;
- ask_clarification when the question is ambiguous or not about this data.
Never write statements that change data. Dates are ISO (YYYY-MM-DD); "today" is the as-of date."""


def tool_config(model: SemanticModel) -> dict[str, Any]:
    return {
        "tools": [
            {"toolSpec": {"name": "semantic_query",
                          "description": "A query over the semantic model's metrics and dimensions.",
                          "inputSchema": {"json": query_schema(model)}}},
            {"toolSpec": {"name": "sql_query",
                          "description": "One read-only Athena SELECT, for questions outside the model.",
                          "inputSchema": {"json": {"type": "object", "properties": {
                              "sql": {"type": "string"}, "explanation": {"type": "string"}},
                              "required": ["sql"]}}}},
            {"toolSpec": {"name": "ask_clarification",
                          "description": "Ask the user one specific question, with options.",
                          "inputSchema": {"json": {"type": "object", "properties": {
                              "question": {"type": "string"},
                              "options": {"type": "array", "items": {"type": "string"}}},
                              "required": ["question"]}}}},
        ],
        "toolChoice": {"any": {}},
    }


def user_prompt(request: PlanRequest) -> str:
    parts = [f"As-of date: {request.as_of.isoformat()}", request.model_context,
             "Tables you may query:\n" + request.schema_context]
    if request.thread:
        parts.append("The previous question in this thread, as a semantic query:\n"
                     + json.dumps(request.thread, sort_keys=True))
    if request.examples:
        parts.append("Verified questions, checked by the data team's stewards; answer a question that "
                     "means the same the way they were answered:\n"
                     + "\n".join(json.dumps(e, sort_keys=True) for e in request.examples))
    parts.append(f"Question: {request.question}")
    if request.feedback:
        parts.append("Earlier attempts failed; fix them:\n" + "\n".join(f"- {f}" for f in request.feedback))
    return "\n\n".join(parts)


class BedrockPlanner:
    """Planner port on bedrock-runtime Converse (tool use, temperature 0)."""

    def __init__(self, client: Any, model_id: str, model: SemanticModel, max_tokens: int = 1024) -> None:
        self.client = client
        self.model_id = model_id
        self.tools = tool_config(model)
        self.max_tokens = max_tokens

    def plan(self, request: PlanRequest) -> PlannerReply:
        try:
            response = self.client.converse(
                modelId=self.model_id,
                system=[{"text": SYSTEM_PROMPT}],
                messages=[{"role": "user", "content": [{"text": user_prompt(request)}]}],
                toolConfig=self.tools,
                inferenceConfig={"maxTokens": self.max_tokens, "temperature": 0.0},
            )
        except (ClientError, BotoCoreError) as err:
            log.warning("bedrock planner call failed: %s", err)
            raise ExecutionFailed("The AI planner is not available right now; try rephrasing the "
                                  "question with the measures and breakdowns I know.") from err
        for block in response.get("output", {}).get("message", {}).get("content", []):
            use = block.get("toolUse")
            if not use:
                continue
            data = use.get("input") or {}
            if use.get("name") == "semantic_query":
                return PlannerReply("query", query=data)
            if use.get("name") == "sql_query":
                return PlannerReply("sql", sql=str(data.get("sql", "")))
            if use.get("name") == "ask_clarification":
                return PlannerReply("clarify", message=str(data.get("question", "")),
                                    options=[str(o) for o in data.get("options") or []])
        return PlannerReply("clarify", message="I couldn't work out a query for that. Could you "
                            "rephrase it with a measure and a breakdown, e.g. \"revenue by month\"?")
