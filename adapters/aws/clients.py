"""boto3 clients created on first use.

Creating a client loads its service model (tens of milliseconds each); a Lambda container that
builds seven of them before its first record pays for all seven on every cold start. A
``LazyClient`` stands in for the client and creates it when a method is first called.
"""

from __future__ import annotations

import threading
from typing import Any


class LazyClient:
    """A boto3 client of ``service``, created from ``session`` the first time it is used."""

    def __init__(self, session: Any, service: str, **kwargs: Any) -> None:
        self._session = session
        self._service = service
        self._kwargs = kwargs
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def created(self) -> bool:
        return self._client is not None

    def _get(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._session.client(self._service, **self._kwargs)
        return self._client

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._get(), name)

    def __repr__(self) -> str:
        return f"LazyClient({self._service!r}, created={self.created})"

