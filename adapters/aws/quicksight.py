"""DashboardPublisher on Amazon QuickSight: this answer, for this person, from a template.

On "Open in QuickSight" the worker:

1. finds the person's QuickSight user (DescribeUser) or registers them as a READER
   (RegisterUser): one QuickSight user per person, never a shared one;
2. creates a dataset from the answer's guarded Athena SQL (CreateDataSet with CustomSql) on the
   Athena data source of the person's data role, DIRECT_QUERY by default, or SPICE followed by
   CreateIngestion; its logical table renames the answer's columns to the template's fields;
3. creates a dashboard from the template matching the chart the bot chose (line, bar, table),
   readable by that user only;
4. returns the dashboard's console link, or, with embedding configured, a link to the bot's
   embed route, which makes the single-use embed URL when clicked (never posted).

The per-user guarantee: QuickSight queries Athena as its data source's role, never as the
person, so there is one Athena data source per group role (the same roles Athena runs as for
the chat), and a person's dataset uses their role's. A dashboard can therefore show only what
their groups may read, with no second permission model to keep in step (row-level security on
the dataset from the group map was the alternative: rules per dataset, and nothing guarding
tables the rules forget).

Ids are derived from the answer and the user, so the same person opening the same answer again
gets the same dashboard (kept in a registry, and checked with DescribeDashboard), and a retried
job finds what a crashed attempt made. Everything is tagged ``athena-bot:managed``; ``cleanup``
deletes what is older than ``max_age_days`` (the scheduled job).
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from engine.answers.dashboards import TEMPLATE_SCHEMA, DashboardLink, DashboardUnavailable, layout
from engine.answers.records import AnswerRecord
from engine.domain import Principal
from engine.ports import ConversationStore

log = logging.getLogger(__name__)

MANAGED = "athena-bot:managed"
CREATED = "athena-bot:created"
DATASET = "athena-bot:dataset"
PLACEHOLDER = "answer"  # the templates' dataset placeholder
DATASET_ACTIONS = ["quicksight:DescribeDataSet", "quicksight:DescribeDataSetPermissions",
                   "quicksight:PassDataSet", "quicksight:DescribeIngestion", "quicksight:ListIngestions"]
DASHBOARD_ACTIONS = ["quicksight:DescribeDashboard", "quicksight:ListDashboardVersions",
                     "quicksight:QueryDashboard"]
# Athena type -> QuickSight input column type
_TYPES = (("decimal", "DECIMAL"), ("double", "DECIMAL"), ("real", "DECIMAL"), ("float", "DECIMAL"),
          ("bigint", "INTEGER"), ("int", "INTEGER"), ("smallint", "INTEGER"), ("tinyint", "INTEGER"),
          ("date", "DATETIME"), ("timestamp", "DATETIME"), ("boolean", "BOOLEAN"))


class QuickSightConfigError(ValueError):
    """A QuickSight setting is missing or malformed."""


@dataclass(frozen=True)
class QuickSightSettings:
    account_id: str
    region: str
    templates: dict[str, str]  # "line" | "bar" | "table" -> template ARN
    data_sources: dict[str, str] = field(default_factory=dict)  # role ARN -> data source ARN (else by name)
    namespace: str = "default"
    import_mode: str = "DIRECT_QUERY"  # or "SPICE"
    identity_type: str = "QUICKSIGHT"  # or "IAM": users are the data role with the person's email as session
    max_age_days: float = 7.0
    embed_url: str | None = None  # the bot's embed route (https://.../quicksight/open), when embedding
    embed_secret: str | None = None
    embed_link_minutes: int = 60

    @classmethod
    def from_env(cls, env: dict[str, str], region: str | None = None) -> "QuickSightSettings | None":
        """The settings, or None when QuickSight dashboards are not configured (no templates)."""
        raw = (env.get("ATHENA_BOT_QUICKSIGHT_TEMPLATES") or "").strip()
        if not raw:
            return None
        templates = _json(env, "ATHENA_BOT_QUICKSIGHT_TEMPLATES")
        missing = sorted({"line", "bar", "table"} - set(templates))
        if missing:
            raise QuickSightConfigError(f"ATHENA_BOT_QUICKSIGHT_TEMPLATES needs a template ARN for {', '.join(missing)}")
        account = (env.get("ATHENA_BOT_QUICKSIGHT_ACCOUNT_ID") or "").strip()
        if not account:
            raise QuickSightConfigError("ATHENA_BOT_QUICKSIGHT_ACCOUNT_ID must be set with ATHENA_BOT_QUICKSIGHT_TEMPLATES")
        mode = (env.get("ATHENA_BOT_QUICKSIGHT_IMPORT_MODE") or "DIRECT_QUERY").strip().upper()
        if mode not in ("DIRECT_QUERY", "SPICE"):
            raise QuickSightConfigError(f"ATHENA_BOT_QUICKSIGHT_IMPORT_MODE must be DIRECT_QUERY or SPICE, not {mode!r}")
        identity = (env.get("ATHENA_BOT_QUICKSIGHT_IDENTITY_TYPE") or "QUICKSIGHT").strip().upper()
        if identity not in ("QUICKSIGHT", "IAM"):
            raise QuickSightConfigError(f"ATHENA_BOT_QUICKSIGHT_IDENTITY_TYPE must be QUICKSIGHT or IAM, not {identity!r}")
        embed = (env.get("ATHENA_BOT_QUICKSIGHT_EMBED_URL") or "").strip() or None
        secret = (env.get("ATHENA_BOT_QUICKSIGHT_EMBED_SECRET") or "").strip() or None
        if embed and not secret:
            raise QuickSightConfigError("ATHENA_BOT_QUICKSIGHT_EMBED_SECRET must be set with ATHENA_BOT_QUICKSIGHT_EMBED_URL")
        return cls(account, (env.get("ATHENA_BOT_QUICKSIGHT_REGION") or region or "us-east-1").strip(),
                   {k: str(v) for k, v in templates.items()},
                   {str(k): str(v) for k, v in _json(env, "ATHENA_BOT_QUICKSIGHT_DATA_SOURCES").items()},
                   (env.get("ATHENA_BOT_QUICKSIGHT_NAMESPACE") or "default").strip(), mode, identity,
                   float(env.get("ATHENA_BOT_QUICKSIGHT_MAX_AGE_DAYS") or 7), embed, secret,
                   int(env.get("ATHENA_BOT_QUICKSIGHT_EMBED_LINK_MINUTES") or 60))

    def data_source(self, role_arn: str) -> str:
        """The Athena data source that queries as ``role_arn``: configured, or ``athena-bot-<role name>``."""
        if role_arn in self.data_sources:
            return self.data_sources[role_arn]
        return (f"arn:aws:quicksight:{self.region}:{self.account_id}:datasource/"
                f"{data_source_id(role_arn)}")


def data_source_id(role_arn: str) -> str:
    """The data source id the stack gives a group role's Athena data source."""
    return f"athena-bot-{role_arn.rsplit('/', 1)[-1]}"[:128]


def _json(env: dict[str, str], name: str) -> dict[str, Any]:
    raw = (env.get(name) or "").strip()
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as err:
        raise QuickSightConfigError(f"{name} is not valid JSON: {err}") from err
    if not isinstance(value, dict):
        raise QuickSightConfigError(f"{name} must be a JSON object")
    return value


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def _column_type(athena_type: str) -> str:
    lower = athena_type.lower()
    return next((qs for prefix, qs in _TYPES if lower.startswith(prefix)), "STRING")


def template_transforms(record: AnswerRecord) -> list[dict[str, Any]]:
    """The dataset's logical-table steps that give the answer its template's exact schema:
    keep the columns that feed the template, rename them to its fields, cast each to the field's
    type, and fill the fields no column feeds with constants."""
    fit = layout(record.columns, record.types, record.chart_kind)
    types = dict(zip(record.columns, record.types))
    steps: list[dict[str, Any]] = [{"ProjectOperation": {"ProjectedColumns": list(fit.fields.values())}}]
    moves = {column: target for target, column in fit.fields.items() if column != target}
    if set(moves) & set(fit.fields):  # a kept column already bears another field's name: rename via a spare
        steps += [_rename(column, f"athena_bot_{target}") for column, target in moves.items()]
        moves = {f"athena_bot_{target}": target for target in moves.values()}
    steps += [_rename(column, target) for column, target in moves.items()]
    for target, wanted in TEMPLATE_SCHEMA[fit.template]:
        if target in fit.fields and _column_type(types.get(fit.fields[target], "")) != wanted:
            steps.append({"CastColumnTypeOperation": {"ColumnName": target, "NewColumnType": wanted}})
    fillers = fit.fillers()
    if fillers:
        steps.append({"CreateColumnsOperation": {"Columns": [
            {"ColumnName": name, "ColumnId": name, "Expression": _literal(value)} for name, value in fillers.items()]}})
    return steps


def _rename(column: str, target: str) -> dict[str, Any]:
    return {"RenameColumnOperation": {"ColumnName": column, "NewColumnName": target}}


def _literal(text: str) -> str:
    """A QuickSight string literal of a column label (quotes and braces dropped, not escaped)."""
    return "'" + re.sub(r"[^\w .%/-]", "", text)[:100] + "'"


class QuickSightPublisher:
    """Per-answer, per-person datasets and dashboards (see the module docstring)."""

    def __init__(self, client: Any, settings: QuickSightSettings, registry: ConversationStore,
                 clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self.settings = settings
        self.registry = registry
        self.clock = clock

    def publish(self, record: AnswerRecord, principal: Principal) -> DashboardLink:
        if not principal.role_arn:
            raise DashboardUnavailable("Your groups have no data role, so QuickSight cannot query the data "
                                       "as you. Ask your data team to map your group to a role.")
        user_arn = self.user_arn(principal)
        ident = uuid.uuid5(uuid.NAMESPACE_URL, f"quicksight:{record.answer_id}:{user_arn}").hex[:24]
        dataset_id = dashboard_id = f"athena-bot-{ident}"
        known = self.registry.load(f"quicksight:{ident}")
        if known and self._exists(dashboard_id):
            return self._link(dashboard_id, user_arn, principal, reused=True)
        try:
            dataset_arn = self._dataset(record, principal.role_arn, dataset_id, user_arn)
            self._dashboard(record, dashboard_id, dataset_arn, dataset_id, user_arn)
        except ClientError as err:
            log.error("QuickSight refused the dashboard of answer %s: %s", record.answer_id, err)
            raise DashboardUnavailable(f"QuickSight could not make the dashboard ({_code(err) or 'error'}). "
                                       "Please try again later, or ask your data team.") from err
        self.registry.save(f"quicksight:{ident}", {"dashboard_id": dashboard_id, "dataset_id": dataset_id,
                                                   "created_at": self.clock()})
        return self._link(dashboard_id, user_arn, principal, reused=False)

    # -- users --------------------------------------------------------------------------------
    def user_name(self, principal: Principal) -> str:
        if self.settings.identity_type == "IAM":
            return f"{(principal.role_arn or '').rsplit('/', 1)[-1]}/{principal.email}"
        return principal.email

    def user_arn(self, principal: Principal) -> str:
        """The person's own QuickSight user, registered as a READER when QuickSight has none."""
        common = {"AwsAccountId": self.settings.account_id, "Namespace": self.settings.namespace}
        try:
            return str(self.client.describe_user(UserName=self.user_name(principal), **common)["User"]["Arn"])
        except ClientError as err:
            if _code(err) != "ResourceNotFoundException":
                raise DashboardUnavailable(f"QuickSight could not look you up ({_code(err)}).") from err
        register: dict[str, Any] = {"IdentityType": self.settings.identity_type, "Email": principal.email,
                                    "UserRole": "READER", **common,
                                    "Tags": [{"Key": MANAGED, "Value": "true"}]}
        if self.settings.identity_type == "IAM":
            register.update(IamArn=principal.role_arn, SessionName=principal.email)
        else:
            register["UserName"] = principal.email
        try:
            user = self.client.register_user(**register)["User"]
        except ClientError as err:
            if _code(err) == "ResourceExistsException":  # registered meanwhile (a retried job)
                return str(self.client.describe_user(UserName=self.user_name(principal), **common)["User"]["Arn"])
            raise DashboardUnavailable(f"QuickSight could not register you as a reader ({_code(err)}).") from err
        log.info("registered QuickSight reader %s", user.get("UserName"))
        return str(user["Arn"])

    # -- the resources ------------------------------------------------------------------------
    def _tags(self, dataset_id: str, record: AnswerRecord) -> list[dict[str, str]]:
        return [{"Key": MANAGED, "Value": "true"}, {"Key": CREATED, "Value": str(int(self.clock()))},
                {"Key": DATASET, "Value": dataset_id}, {"Key": "athena-bot:answer", "Value": record.answer_id}]

    def _dataset(self, record: AnswerRecord, role_arn: str, dataset_id: str, user_arn: str) -> str:
        request = {
            "AwsAccountId": self.settings.account_id, "DataSetId": dataset_id,
            "Name": f"{record.question[:100]} ({dataset_id[-6:]})", "ImportMode": self.settings.import_mode,
            "PhysicalTableMap": {PLACEHOLDER: {"CustomSql": {
                "DataSourceArn": self.settings.data_source(role_arn), "Name": PLACEHOLDER,
                "SqlQuery": record.sql,
                "Columns": [{"Name": c, "Type": _column_type(t)} for c, t in zip(record.columns, record.types)]}}},
            "LogicalTableMap": {PLACEHOLDER: {"Alias": PLACEHOLDER, "Source": {"PhysicalTableId": PLACEHOLDER},
                                              "DataTransforms": template_transforms(record)}},
            "Permissions": [{"Principal": user_arn, "Actions": DATASET_ACTIONS}],
            "Tags": self._tags(dataset_id, record),
        }
        try:
            arn = str(self.client.create_data_set(**request)["Arn"])
        except ClientError as err:
            if _code(err) != "ResourceExistsException":
                raise
            arn = f"arn:aws:quicksight:{self.settings.region}:{self.settings.account_id}:dataset/{dataset_id}"
        if self.settings.import_mode == "SPICE":
            try:
                self.client.create_ingestion(AwsAccountId=self.settings.account_id, DataSetId=dataset_id,
                                             IngestionId="initial")
            except ClientError as err:
                if _code(err) != "ResourceExistsException":
                    raise
        return arn

    def _dashboard(self, record: AnswerRecord, dashboard_id: str, dataset_arn: str, dataset_id: str,
                   user_arn: str) -> None:
        template = self.settings.templates[layout(record.columns, record.types, record.chart_kind).template]
        try:
            self.client.create_dashboard(
                AwsAccountId=self.settings.account_id, DashboardId=dashboard_id, Name=record.question[:2048],
                Permissions=[{"Principal": user_arn, "Actions": DASHBOARD_ACTIONS}],
                SourceEntity={"SourceTemplate": {"Arn": template, "DataSetReferences": [
                    {"DataSetPlaceholder": PLACEHOLDER, "DataSetArn": dataset_arn}]}},
                Tags=self._tags(dataset_id, record),
                DashboardPublishOptions={"AdHocFilteringOption": {"AvailabilityStatus": "ENABLED"},
                                         "ExportToCSVOption": {"AvailabilityStatus": "ENABLED"}})
        except ClientError as err:
            if _code(err) != "ResourceExistsException":
                raise

    def _exists(self, dashboard_id: str) -> bool:
        try:
            self.client.describe_dashboard(AwsAccountId=self.settings.account_id, DashboardId=dashboard_id)
        except ClientError as err:
            if _code(err) == "ResourceNotFoundException":
                return False
            raise
        return True

    def _link(self, dashboard_id: str, user_arn: str, principal: Principal, reused: bool) -> DashboardLink:
        if self.settings.embed_url and self.settings.embed_secret:
            from adapters.aws.quicksight_embed import sign_link

            url = sign_link(self.settings.embed_url, self.settings.embed_secret, dashboard_id, user_arn,
                            principal.email, self.clock() + self.settings.embed_link_minutes * 60)
            return DashboardLink(url, dashboard_id, reused, private=True)
        return DashboardLink(f"https://{self.settings.region}.quicksight.aws.amazon.com/sn/dashboards/{dashboard_id}",
                             dashboard_id, reused)

    # -- the scheduled clean-up ---------------------------------------------------------------
    def cleanup(self, max_age_days: float | None = None) -> int:
        """Delete the bot's dashboards (and their datasets) older than the age; returns how many."""
        cutoff = self.clock() - (self.settings.max_age_days if max_age_days is None else max_age_days) * 86400
        deleted = 0
        token: str | None = None
        while True:
            page = self.client.list_dashboards(AwsAccountId=self.settings.account_id,
                                               **({"NextToken": token} if token else {}))
            for summary in page.get("DashboardSummaryList") or []:
                tags = {t["Key"]: t["Value"] for t in self.client.list_tags_for_resource(
                    ResourceArn=summary["Arn"]).get("Tags") or []}
                if tags.get(MANAGED) != "true" or float(tags.get(CREATED) or "inf") > cutoff:
                    continue
                self._delete("delete_dashboard", DashboardId=summary["DashboardId"])
                if tags.get(DATASET):
                    self._delete("delete_data_set", DataSetId=tags[DATASET])
                deleted += 1
            token = page.get("NextToken")
            if not token:
                return deleted

    def _delete(self, call: str, **ids: str) -> None:
        try:
            getattr(self.client, call)(AwsAccountId=self.settings.account_id, **ids)
        except ClientError as err:
            if _code(err) != "ResourceNotFoundException":
                raise
