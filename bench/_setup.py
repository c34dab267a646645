"""Shared set-up for the benchmarks: which database to use, and Django started against it.

Benchmarks never touch the development or test databases: they use their own PostgreSQL database
(``bench_ledger`` on the local server, or ``BENCH_PG_URL``) and their own SQLite file
(``/tmp/bench_ledger.sqlite3``, or ``BENCH_SQLITE_PATH``).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgresql://postgres@127.0.0.1:5432")


def database_url(kind: str, name: str = "bench_ledger") -> str:
    if kind == "postgres":
        return os.environ.get("BENCH_PG_URL", f"{PG_SERVER}/{name}")
    if kind == "sqlite":
        return "sqlite:///" + os.environ.get("BENCH_SQLITE_PATH", f"/tmp/{name}.sqlite3")
    raise SystemExit(f"unknown database kind {kind!r} (postgres or sqlite)")


def recreate(kind: str, name: str = "bench_ledger") -> str:
    """Drop and create the benchmark database; returns its URL."""
    url = database_url(kind, name)
    if kind == "postgres":
        import psycopg

        db = url.rsplit("/", 1)[1]
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{db}"')
    else:
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    return url


def start_django(url: str, settings: str = "totalquota.settings") -> None:
    """Point Django at ``url`` and set it up (call once, before importing models)."""
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = settings
    os.environ.setdefault("DJANGO_DEBUG", "false")
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def median_ms(func: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``func`` in milliseconds over ``repeat`` calls (after one warm-up)."""
    func()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def table(rows: list[tuple], headers: tuple) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=False)]
    line = "  ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=False))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(str(x).ljust(w) for x, w in zip(r, widths, strict=False)) for r in rows]
    return "\n".join(out)


def fund_lot(*, admin, zone, pollutant, grams: int, ref: str, key: str, day) -> None:
    """One quarterly intake into ``zone``: a reserve lot of ``grams`` from a reduction line, through
    the ledger service as the platform does it (with Django started)."""
    from totalquota.ledger import services

    services.lot_open(
        actor=admin.principal,
        zone=zone,
        pollutant=pollutant,
        amount_grams=grams,
        source_type="reduction_line",
        source_ref=f"reductions.reductionline:{ref}",
        source_label="",
        effective_date=day,
        reason="基准入库",
        clause_id="RES-1",
        idempotency_key=key,
    )


def allocate(*, admin, zone, pollutant, grams: int, account, key: str, day) -> None:
    """One allocation from ``zone``'s reserve to ``account``, through the ledger service as an
    approval does it (with Django started)."""
    from totalquota.ledger import services

    services.draw(
        actor=admin.principal,
        zone=zone,
        pollutant=pollutant,
        amount_grams=grams,
        to_account=account,
        effective_date=day,
        reason="基准分配",
        clause_id="RES-2",
        idempotency_key=key,
    )
