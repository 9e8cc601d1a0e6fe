"""Sign-in behind an Application Load Balancer: the ALB's signed ``x-amzn-oidc-data`` header.

The ALB authenticates the user (OIDC: Cognito, or Identity Center through Cognito) and adds the
user's claims to every request it forwards as a JWT signed with ES256. Its header names the key
(``kid``, fetched from the region's ALB public-key endpoint as PEM and cached), the load balancer
that signed it (``signer``) and when it expires (``exp``). The ALB writes the segments in
base64url *with* padding and signs them as written; PyJWT (>= 2.15.1) verifies such tokens
against their original signing input, so the signature check is PyJWT's, never ours.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import urllib.error
import urllib.request
from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

import jwt
from jwt.algorithms import ECAlgorithm

log = logging.getLogger(__name__)

OIDC_DATA_HEADER = "x-amzn-oidc-data"
ALGORITHM = "ES256"
_KID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_ALB_ARN = re.compile(r"^arn:aws[a-z-]*:elasticloadbalancing:([a-z]{2}(?:-[a-z]+)+-\d):\d{12}:"
                      r"loadbalancer/app/[A-Za-z0-9-]+/[0-9a-f]+$")
MAX_TOKEN_CHARS = 16_000
MAX_KEY_BYTES = 10_000


class SignInError(Exception):
    """The request carries no valid sign-in; the message says what to do."""


class MissingSignIn(SignInError):
    """No ``x-amzn-oidc-data`` header: the page was not reached through the load balancer."""


class InvalidSignIn(SignInError):
    """A header that does not verify: bad signature, another signer, expired, or malformed."""


class AlbConfigError(ValueError):
    """The load balancer settings cannot work (ARN or key URL)."""


def alb_region(alb_arn: str) -> str:
    """The region of an Application Load Balancer ARN; AlbConfigError if it is not one."""
    match = _ALB_ARN.match(alb_arn or "")
    if not match:
        raise AlbConfigError(f"ATHENA_BOT_ALB_ARN is not an Application Load Balancer ARN: {alb_arn!r} "
                             "(expected arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/app/NAME/ID)")
    return match.group(1)


def regional_key_url(alb_arn: str) -> str:
    """The endpoint serving the ALB's public keys by ``kid`` in the load balancer's region."""
    region = alb_region(alb_arn)
    if region.startswith("us-gov-"):
        return f"https://s3-{region}.amazonaws.com/aws-elb-public-keys-prod-{region}"
    return f"https://public-keys.auth.elb.{region}.amazonaws.com"


def _check_key_url(url: str) -> str:
    parsed = urlparse(url)
    loopback = parsed.hostname in ("127.0.0.1", "localhost", "::1")
    if parsed.scheme != "https" and not (parsed.scheme == "http" and loopback):
        raise AlbConfigError(f"ATHENA_BOT_ALB_KEY_URL must be an https URL (http only on loopback): {url!r}")
    return url.rstrip("/")


class AlbKeys:
    """The ALB's public keys by ``kid``, fetched once each (a key never changes under its kid)."""

    def __init__(self, base_url: str, timeout: float = 5.0, max_keys: int = 32,
                 fetch: Callable[[str, float], bytes] | None = None) -> None:
        self.base_url = _check_key_url(base_url)
        self.timeout = timeout
        self.max_keys = max_keys
        self._fetch = fetch or _http_get
        self._keys: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def key(self, kid: str) -> Any:
        with self._lock:
            if kid in self._keys:
                self._keys.move_to_end(kid)
                return self._keys[kid]
        try:
            pem = self._fetch(f"{self.base_url}/{kid}", self.timeout)
            key = ECAlgorithm(ECAlgorithm.SHA256).prepare_key(pem)
        except (OSError, ValueError, jwt.InvalidKeyError) as err:
            log.warning("could not get the load balancer's public key %s: %s", kid, err)
            raise InvalidSignIn("Your sign-in could not be checked right now (the load balancer's key is "
                                "unavailable). Reload the page in a moment.") from err
        with self._lock:
            self._keys[kid] = key
            while len(self._keys) > self.max_keys:
                self._keys.popitem(last=False)
        return key


def _http_get(url: str, timeout: float) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - https or loopback only
        body = response.read(MAX_KEY_BYTES + 1)
    if len(body) > MAX_KEY_BYTES:
        raise ValueError("public key response too large")
    return body


EXPIRED = "Your sign-in has expired. Reload the page to sign in again."
UNVERIFIED = ("Your sign-in could not be verified, so I can't let you in. Reload the page to sign in again; "
              "if it keeps happening, tell your data team.")
MISSING = ("You are not signed in. Open the chat at its load balancer address, which signs you in "
           "(single sign-on), rather than at the server directly.")


class AlbVerifier:
    """Verifies ``x-amzn-oidc-data`` for one load balancer and returns the user's claims."""

    def __init__(self, alb_arn: str, key_url: str | None = None, *, keys: AlbKeys | None = None,
                 leeway_seconds: float = 30, clock: Callable[[], float] = time.time) -> None:
        alb_region(alb_arn)
        self.alb_arn = alb_arn
        self.keys = keys or AlbKeys(key_url or regional_key_url(alb_arn))
        self.leeway = leeway_seconds
        self.clock = clock

    def verify(self, token: str | None) -> dict[str, Any]:
        """The verified claims (``email``, ``sub``, ...); MissingSignIn or InvalidSignIn otherwise."""
        if not token:
            raise MissingSignIn(MISSING)
        if len(token) > MAX_TOKEN_CHARS:
            raise self._invalid("token too long")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as err:
            raise self._invalid(f"malformed token: {err}") from err
        # Everything in the header is checked before any key is fetched for it.
        if header.get("alg") != ALGORITHM:
            raise self._invalid(f"algorithm {header.get('alg')!r}")
        if header.get("signer") != self.alb_arn:
            raise self._invalid(f"signed by {header.get('signer')!r}, not the configured load balancer")
        kid = header.get("kid")
        if not isinstance(kid, str) or not _KID.match(kid):
            raise self._invalid("no valid key id")
        expires = header.get("exp")
        if not isinstance(expires, (int, float)) or isinstance(expires, bool):
            raise self._invalid("no expiry")
        if self.clock() > expires + self.leeway:
            log.info("ALB sign-in expired %.0f s ago", self.clock() - expires)
            raise InvalidSignIn(EXPIRED)
        try:
            claims = jwt.decode(token, self.keys.key(kid), algorithms=[ALGORITHM], leeway=self.leeway,
                                options={"verify_aud": False, "verify_iss": False})
        except jwt.ExpiredSignatureError as err:
            raise InvalidSignIn(EXPIRED) from err
        except jwt.PyJWTError as err:
            raise self._invalid(f"{type(err).__name__}: {err}") from err
        if not isinstance(claims, dict):
            raise self._invalid("claims are not an object")
        return claims

    @staticmethod
    def _invalid(reason: str) -> InvalidSignIn:
        log.warning("rejected ALB sign-in header: %s", reason)  # never the token itself
        return InvalidSignIn(UNVERIFIED)
