"""The dimension values file the AWS worker reads ("electronics", "paypal"), lazily and refreshed.

`athena-bot refresh-values` (on a schedule the stack creates) writes it; the worker reads it on
first use and re-reads it when it changes, at most every ``ttl_seconds``. A stack that has never
refreshed has no file yet: the worker then uses the values the model lists itself and says so in
its log, instead of failing every batch.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

log = logging.getLogger(__name__)

Values = dict[str, list[str]]


class ValuesFile:
    """The values file's contents (``{dimension: [values], "@time_ranges": {...}}``, see
    ``engine.values.values_file_body``) at ``s3://bucket/key`` or a local path, with a fallback."""

    def __init__(self, location: str, s3: Any = None, fallback: Callable[[], Values] | None = None,
                 ttl_seconds: float = 900, clock: Callable[[], float] = time.monotonic) -> None:
        self.location = location
        self.s3 = s3
        self.fallback = fallback or dict
        self.ttl_seconds = ttl_seconds
        self.clock = clock
        self.version: str | None = None  # ETag (S3) or mtime of what was read last
        self.checked_at: float | None = None
        self._lock = threading.Lock()

    def load(self) -> Values:
        """The values now (the fallback when there is no file yet)."""
        with self._lock:
            values, self.version = self._read(None)
            self.checked_at = self.clock()
        return values if values is not None else self.fallback()

    def changed(self) -> Values | None:
        """New values if the file changed since the last read (checked at most every TTL), else None."""
        with self._lock:
            now = self.clock()
            if self.checked_at is not None and now - self.checked_at < self.ttl_seconds:
                return None
            self.checked_at = now
            values, version = self._read(self.version)
            if values is None or version == self.version:
                return None
            self.version = version
            return values

    def _read(self, known: str | None) -> tuple[Values | None, str | None]:
        if not self.location.startswith("s3://"):
            path = Path(self.location)
            if not path.is_file():
                log.warning("no values file at %s yet: run `athena-bot refresh-values`", self.location)
                return None, None
            version = str(path.stat().st_mtime_ns)
            return (json.loads(path.read_text(encoding="utf-8")) if version != known else None), version
        from botocore.exceptions import ClientError

        url = urlparse(self.location)
        params: dict[str, Any] = {"Bucket": url.netloc, "Key": url.path.lstrip("/")}
        if known:
            params["IfNoneMatch"] = known
        try:
            response = self.s3.get_object(**params)
        except ClientError as err:
            code = str(err.response.get("Error", {}).get("Code"))
            if code in ("304", "NotModified"):
                return None, known
            if code in ("NoSuchKey", "404", "NoSuchBucket"):
                log.warning("no values file at %s yet: the scheduled refresh-values writes it", self.location)
                return None, None
            raise
        return json.loads(response["Body"].read()), response.get("ETag")


def write_values(location: str, contents: dict[str, Any], s3: Any = None) -> None:
    """Write the values file (local path or s3://bucket/key): ``engine.values.values_file_body``."""
    body = json.dumps(contents, indent=1, sort_keys=True)
    if location.startswith("s3://"):
        url = urlparse(location)
        s3.put_object(Bucket=url.netloc, Key=url.path.lstrip("/"), Body=body.encode(),
                      ContentType="application/json")
    else:
        Path(location).write_text(body, encoding="utf-8")
