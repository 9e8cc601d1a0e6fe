"""Chart images for Teams cards that never expire: the card links to the bot's own endpoint
(``/charts/<name>?sig=...``), and the endpoint re-signs on every fetch.

A card is kept in a conversation for as long as people scroll back to it, so a presigned S3 URL
baked into it (seven days at most) breaks old answers. Instead the card holds a link to the bot,
signed with an HMAC of the chart's name (unguessable, unforgeable); on each fetch the bot checks the
signature and serves the chart: from its folder (the local stack), or by redirecting to a freshly
presigned S3 URL valid for a few minutes (AWS). The worker that posts and the endpoint that serves
share the key (``ATHENA_BOT_CHART_LINK_KEY``, else the Teams app secret).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from pathlib import Path
from typing import Any, Protocol

CHART_NAME = re.compile(r"^[a-z0-9-]{1,120}\.png$")
FETCH_SECONDS = 300  # how long a re-signed S3 URL is valid: one fetch, not the card's lifetime


class ChartSigner:
    """Signs chart names for links and checks the signatures that come back."""

    def __init__(self, key: str | bytes | None) -> None:
        # no key (local, authentication off): a key of this process, which serves its own charts
        self.key = key.encode() if isinstance(key, str) else (key or secrets.token_bytes(32))

    def sign(self, name: str) -> str:
        return hmac.new(self.key, f"chart:{name}".encode(), hashlib.sha256).hexdigest()[:32]

    def valid(self, name: str, signature: str) -> bool:
        return bool(CHART_NAME.match(name)) and hmac.compare_digest(self.sign(name), signature or "")

    def link(self, base_url: str, name: str) -> str:
        return f"{base_url.rstrip('/')}/charts/{name}?sig={self.sign(name)}"


class ChartStore(Protocol):
    """Where chart images are kept for the endpoint to serve."""

    def put(self, name: str, png: bytes) -> None: ...

    def fetch(self, name: str) -> bytes | str | None:
        """The PNG, or a URL to redirect to (re-signed now), or None when there is no such chart."""
        ...


class LocalChartStore:
    """Charts in a folder, served by the bot's own HTTP server."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def put(self, name: str, png: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / name).write_bytes(png)

    def fetch(self, name: str) -> bytes | None:
        path = self.folder / name
        return path.read_bytes() if CHART_NAME.match(name) and path.is_file() else None


class S3ChartStore:
    """Charts in S3 (AWS mode); each fetch gets a presigned URL valid for FETCH_SECONDS."""

    def __init__(self, s3: Any, bucket: str, prefix: str = "athena-bot-charts/") -> None:
        self.s3, self.bucket, self.prefix = s3, bucket, prefix

    def put(self, name: str, png: bytes) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=self.prefix + name, Body=png, ContentType="image/png")

    def fetch(self, name: str) -> str | None:
        if not CHART_NAME.match(name):
            return None
        try:
            self.s3.head_object(Bucket=self.bucket, Key=self.prefix + name)
        except Exception as err:  # noqa: BLE001 - botocore's ClientError: 404 is "no such chart"
            if getattr(err, "response", {}).get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return self.s3.generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": self.prefix + name},
                                              ExpiresIn=FETCH_SECONDS)
