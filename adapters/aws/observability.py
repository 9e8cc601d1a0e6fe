"""Observer on Powertools: structured JSON logs (correlation id = job id), metrics and traces.

No result rows are ever logged: only ids, statuses, timings and byte counts.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit, single_metric

SERVICE = "athena-query-bot"


class PowertoolsObserver:
    def __init__(self, logger: Logger | None = None, metrics: Metrics | None = None,
                 tracer: Tracer | None = None, namespace: str | None = None) -> None:
        self.logger = logger or Logger(service=SERVICE)
        namespace = namespace or os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "AthenaQueryBot"
        self.metrics = metrics or Metrics(namespace=namespace, service=SERVICE)
        self._tracer = tracer

    @property
    def tracer(self) -> Tracer:
        """Made on first use: the X-Ray SDK and its clients cost a cold start ~0.2 s before any record."""
        if self._tracer is None:
            self._tracer = Tracer(service=SERVICE)
        return self._tracer

    def job_started(self, job_id: str) -> None:
        self.logger.set_correlation_id(job_id)
        self.logger.append_keys(job_id=job_id)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        with self.tracer.provider.in_subsegment(f"## {name}"):
            yield

    def answered(self, status: str, latency_ms: float, query_ms: float | None,
                 bytes_scanned: int | None) -> None:
        with single_metric(name="Questions", unit=MetricUnit.Count, value=1,
                           namespace=self.metrics.namespace) as metric:
            metric.add_dimension(name="outcome", value=status)
        self.metrics.add_metric(name="EndToEndLatency", unit=MetricUnit.Milliseconds, value=latency_ms)
        if query_ms is not None:
            self.metrics.add_metric(name="QueryTime", unit=MetricUnit.Milliseconds, value=query_ms)
        if bytes_scanned is not None:
            self.metrics.add_metric(name="BytesScanned", unit=MetricUnit.Bytes, value=bytes_scanned)
        self.logger.info("answered", extra={"status": status, "latency_ms": round(latency_ms),
                                            "query_ms": query_ms, "bytes_scanned": bytes_scanned})

    @contextmanager
    def metrics_flushed(self) -> Iterator[None]:
        """Emit the metrics gathered in the block (one EMF record), also when it raises."""
        try:
            yield
        finally:
            if self.metrics.metric_set:
                self.metrics.flush_metrics()
