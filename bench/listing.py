"""A listing at scale 10: "the 5 most recent orders", its time and peak memory, with the top N
picked on the orders table before their lines are joined (what the compiler does) and without
(every order's lines aggregated, then the top N kept). Each variant runs in its own process, so
its peak RSS is its own; the scale-10 lake is built once and cached under $ATHENA_BOT_HOME/bench.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

QUESTION = "the 5 most recent orders"


def scale_lake(home: Path, scale: float) -> Path:
    """The sample lake at ``scale``, built on first use (scale 10: 1.5M orders, 4M lines)."""
    from adapters.local.sample_lake import build_sample_lake

    lake = home / "bench" / f"lake-scale-{scale:g}"
    if not (lake / ".complete").exists():
        print(f"building the scale-{scale:g} lake in {lake} (once) ...", file=sys.stderr)
        build_sample_lake(lake, scale=scale)
        (lake / ".complete").write_text("built by bench/listing.py\n")
    return lake


def listing_sql(lake: Path, keys_first: bool) -> str:
    """The Athena SQL the engine writes for QUESTION, with or without the top N picked first."""
    from adapters.local.catalog import LocalCatalog
    from bot.settings import SAMPLE_AS_OF, SAMPLE_MODEL
    from engine.compiler import Compiler
    from engine.ports import schema_of
    from engine.semantic_model import load_model
    from engine.language.understanding import Understanding

    model = load_model(SAMPLE_MODEL)
    schema = schema_of(LocalCatalog(lake))
    types = {f"{a}.{c}": t for a, table in model.tables.items()
             for c, t in schema.get(table.database, {}).get(table.name, {}).items()}
    query = Understanding(model, {}).understand(QUESTION, SAMPLE_AS_OF)
    return Compiler(model, types, pick_listing_keys_first=keys_first).compile(query).sql


def _peak_kb() -> int:
    """This process's peak RSS in KB. Linux: VmHWM of /proc/self/status (its own memory only;
    ru_maxrss after exec may still carry the parent's peak); elsewhere ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _reset_peak() -> None:
    try:  # Linux: start the high-water mark again from the current RSS
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _child(lake: str, sql: str, rounds: int) -> None:
    """Runs in a fresh process: peak RSS growth over the baseline, and the timings."""
    from adapters.local.catalog import LocalCatalog
    from adapters.local.duckdb_executor import DuckDBExecutor
    from engine.domain import LOCAL_ANALYST

    executor = DuckDBExecutor(LocalCatalog(Path(lake)))
    executor.execute("SELECT count(*) FROM sales.customers", LOCAL_ANALYST, 1)
    _reset_peak()
    baseline = _peak_kb()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        table = executor.execute(sql, LOCAL_ANALYST, 100)
        times.append((time.perf_counter() - started) * 1000)
    peak = _peak_kb()
    print(json.dumps({"times": times, "rows": table.row_count, "peak_mb": (peak - baseline) / 1024,
                      "first": [str(v) for v in table.rows[0]] if table.rows else []}))


def measure(lake: Path, sql: str, rounds: int) -> dict:
    result = subprocess.run([sys.executable, "-m", "bench.listing", "--child", str(lake), str(rounds)],
                            input=sql, capture_output=True, text=True, check=True, timeout=900)
    return json.loads(result.stdout.strip().splitlines()[-1])


def run(home: Path, scale: float = 10, rounds: int = 5) -> None:
    lake = scale_lake(home, scale)
    results = {}
    for name, keys_first in (("top 5 first", True), ("all lines first", False)):
        results[name] = measure(lake, listing_sql(lake, keys_first), rounds)
    assert results["top 5 first"]["first"] == results["all lines first"]["first"], results
    for name, r in results.items():
        print(f"{f'listing at scale {scale:g}: {name}':44} n={len(r['times']):4}  median "
              f"{statistics.median(r['times']):8.2f} ms  min {min(r['times']):8.2f} ms  "
              f"peak RSS +{r['peak_mb']:6.0f} MB")
    ratio = statistics.median(results["all lines first"]["times"]) / statistics.median(results["top 5 first"]["times"])
    print(f"{'listing: top 5 first is faster by':44} {ratio:6.1f}x  ({QUESTION!r}, same rows)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2], sys.stdin.read(), int(sys.argv[3]))
    else:
        from bot.settings import Settings

        run(Settings.from_env().home, float(sys.argv[1]) if len(sys.argv) > 1 else 10)
