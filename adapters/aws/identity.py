"""IdentityResolver on IAM Identity Center (identitystore) and on Cognito user pools.

Both resolve an email to the user's groups, then map groups to an IAM role and to the tables
they may read through one access map (``ATHENA_BOT_GROUP_ACCESS``)::

    {"analysts": {"role_arn": "arn:aws:iam::123456789012:role/analyst", "tables": ["*"]},
     "support":  {"role_arn": "arn:aws:iam::123456789012:role/support", "tables": ["support.tickets"]}}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from engine.domain import Principal
from engine.errors import Refused

UNKNOWN_USER = ("I don't know you yet, so I can't run queries for you. Ask your data team to give "
                "your account access to the data bot.")
NO_ROLE = ("Your groups ({groups}) give you no access to data through me. Ask your data team to "
           "add you to a group that does.")


@dataclass(frozen=True)
class GroupAccess:
    role_arn: str | None
    tables: tuple[str, ...]


def parse_access_map(raw: dict[str, Any]) -> dict[str, GroupAccess]:
    return {name: GroupAccess(spec.get("role_arn"), tuple(str(t).lower() for t in spec.get("tables") or []))
            for name, spec in raw.items()}


def principal_for(platform: str, user_id: str, email: str, groups: list[str],
                  access: dict[str, GroupAccess], role_of_group: dict[str, str] | None = None) -> Principal:
    """Combine the user's groups: the first group with a role gives the role; tables add up."""
    mapped = [g for g in groups if g in access]
    role = next((access[g].role_arn for g in mapped if access[g].role_arn), None)
    if role is None and role_of_group:
        role = next((role_of_group[g] for g in groups if role_of_group.get(g)), None)
    if role is None:
        raise Refused(NO_ROLE.format(groups=", ".join(groups) or "none"))
    tables = {t for g in mapped for t in access[g].tables}
    return Principal(user_id=f"{platform}:{user_id}", email=email.lower(), groups=tuple(groups),
                     role_arn=role, allowed_tables=None if "*" in tables else frozenset(tables))


class IdentityCenterResolver:
    """email -> Identity Center user -> groups -> role and tables."""

    def __init__(self, client: Any, identity_store_id: str, access: dict[str, GroupAccess]) -> None:
        self.client = client
        self.identity_store_id = identity_store_id
        self.access = access

    def resolve(self, platform: str, user_id: str, email: str | None = None) -> Principal:
        if not email:
            raise Refused(UNKNOWN_USER)
        try:
            uid = self.client.get_user_id(
                IdentityStoreId=self.identity_store_id,
                AlternateIdentifier={"UniqueAttribute": {"AttributePath": "emails.value",
                                                         "AttributeValue": email}})["UserId"]
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                raise Refused(UNKNOWN_USER) from err
            raise
        groups: list[str] = []
        paginator = self.client.get_paginator("list_group_memberships_for_member")
        for page in paginator.paginate(IdentityStoreId=self.identity_store_id, MemberId={"UserId": uid}):
            for membership in page.get("GroupMemberships", []):
                group = self.client.describe_group(IdentityStoreId=self.identity_store_id,
                                                   GroupId=membership["GroupId"])
                groups.append(group["DisplayName"])
        return principal_for(platform, user_id, email, sorted(groups), self.access)


class CognitoResolver:
    """email (the username) -> Cognito groups -> role (the group's own RoleArn, or the map) and tables."""

    def __init__(self, client: Any, user_pool_id: str, access: dict[str, GroupAccess]) -> None:
        self.client = client
        self.user_pool_id = user_pool_id
        self.access = access

    def resolve(self, platform: str, user_id: str, email: str | None = None) -> Principal:
        if not email:
            raise Refused(UNKNOWN_USER)
        try:
            paginator = self.client.get_paginator("admin_list_groups_for_user")
            groups = [g for page in paginator.paginate(UserPoolId=self.user_pool_id, Username=email)
                      for g in page.get("Groups", [])]
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") == "UserNotFoundException":
                raise Refused(UNKNOWN_USER) from err
            raise
        ordered = sorted(groups, key=lambda g: (g.get("Precedence", 1_000_000), g["GroupName"]))
        names = [g["GroupName"] for g in ordered]
        roles = {g["GroupName"]: g["RoleArn"] for g in ordered if g.get("RoleArn")}
        return principal_for(platform, user_id, email, names, self.access, roles)
