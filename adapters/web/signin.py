"""Who is using the web chat: the local analyst, or the user the load balancer signed in.

Resolved once per browser session (Streamlit keeps only the first request's headers), through
the same IdentityResolver as Slack and Teams. A missing or invalid sign-in is an error page,
never an anonymous session.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from adapters.web.alb import OIDC_DATA_HEADER, AlbVerifier, SignInError
from engine.domain import Principal
from engine.errors import Refused
from engine.ports import IdentityResolver

LOCAL_EMAIL = "analyst@localhost"
NO_ACCESS = ("You are signed in as {email}, but I couldn't match you to a data-access identity, so I "
             "can't run queries for you yet. Ask your data team to add you to an analytics group, "
             "then reload the page.")


class NoAccess(SignInError):
    """Signed in, but the IdentityResolver does not know the user."""


@dataclass(frozen=True)
class WebUser:
    principal: Principal
    name: str
    signed_in: bool  # False: the embedded default's local analyst, no sign-in


def sign_in(auth: str, headers: Mapping[str, str], identity: IdentityResolver,
            verifier: AlbVerifier | None = None) -> WebUser:
    """The session's user; SignInError (with a message for the page) when there is none."""
    if auth == "none":
        try:
            principal = identity.resolve("web", "analyst", LOCAL_EMAIL)
        except Refused as err:
            raise NoAccess(NO_ACCESS.format(email=LOCAL_EMAIL)) from err
        return WebUser(principal, "Local analyst", signed_in=False)
    assert verifier is not None, "ALB sign-in needs a verifier"
    lowered = {k.lower(): v for k, v in headers.items()}
    claims = verifier.verify(lowered.get(OIDC_DATA_HEADER))
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise NoAccess("Your sign-in carries no email address, so I can't tell who you are. Ask your data "
                       "team to include the email claim in the sign-in.")
    subject = str(claims.get("sub") or email)
    try:
        principal = identity.resolve("web", subject, email)
    except Refused as err:
        raise NoAccess(NO_ACCESS.format(email=email)) from err
    name = claims.get("name") or " ".join(str(claims[k]) for k in ("given_name", "family_name") if claims.get(k))
    return WebUser(principal, str(name or email), signed_in=True)
