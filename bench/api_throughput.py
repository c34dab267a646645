"""Read throughput of the balance and enterprise-quota API endpoints under the production server,
with the ledger benchmark's scale data, beside a trivial endpoint of the same server.

    python -m bench.api_throughput --reuse             # on bench_dashboard as bench.dashboard left it
    python -m bench.api_throughput                     # generate the data first (~8 minutes)
    python -m bench.api_throughput --reuse --requests 200 --threads 2
    python -m bench.api_throughput --reuse --database bench_other --units 50

The data is ``bench.generate``'s (a park of four zones, 5,000 enterprises, 2016-2025, about
1.1 M transfers), in the PostgreSQL database ``bench_dashboard`` by default: the one
``bench.dashboard`` fills, so ``--reuse`` runs on what either benchmark left there (without it the
database is recreated and generated; see bench/_setup.py). The platform runs as ``bin/start``
serves it: gunicorn with ``src/totalquota/gunicorn_conf.py`` (``WEB_WORKERS`` / ``WEB_THREADS``),
``settings_local``, with the per-token rate limit off (``API_RATE_LIMIT=""``: the benchmark's few
tokens would reach it within seconds).

Tokens are issued in the database with the accounts service, as ``manage.py issue_api_token``
does: one park-wide system token, and one enterprise token (scoped to its unit) for each of
``--units`` units that hold allocation accounts. ``--threads`` client threads, each on its own
keep-alive connection, request in the same run against the same server:

- the trivial endpoint ``GET /api/v1/zones`` (the token looked up, one small scoped query), at the
  start and again at the end (the machine may be busy; the reference is both together);
- the reserve balances ``GET /api/v1/ledger/balances`` (zone x pollutant), now and
  ``?as_of=2024-12-31``, with the system token;
- one unit's allocation accounts (总量指标账户) ``GET /api/v1/ledger/accounts?kind=allocation``
  with its enterprise token (each request another unit's), and the unit's yearly record
  ``GET /api/v1/emissions/units/{id}/record`` (reported, determined and held quota per year).

Each is requested ``--requests`` times after a warm-up. The figures: requests per second, p50 and
p95 latency in milliseconds, and the ratio of each endpoint's request rate to the trivial one's.
The issue's goal: every ratio at least 0.5.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import tempfile
import time
from pathlib import Path

from bench._setup import database_url, recreate, start_django, table
from bench.report_submissions import Worker, free_port, percentile, run_phase, start_server, stop_server

DB_NAME = "bench_dashboard"
GOAL = 0.5
AS_OF = "2024-12-31"


def issue_tokens(units: int, seed: int) -> tuple[str, list[tuple[int, str]]]:
    """A park-wide system token and ``units`` enterprise tokens, each scoped to a unit that holds
    allocation accounts (with Django started against the benchmark database)."""
    from totalquota.accounts.models import User
    from totalquota.accounts.roles import Role
    from totalquota.accounts.services import token_issue
    from totalquota.ledger.models import Account
    from totalquota.registry.models import Enterprise

    client = User.objects.get_or_create(username="bench-api-systems", defaults={"role": Role.SYSTEM})[0]
    holders = sorted(
        set(
            Account.objects.filter(kind="allocation", holder_enterprise__isnull=False).values_list(
                "holder_enterprise_id", flat=True
            )
        )
    )
    chosen = random.Random(seed).sample(holders, min(units, len(holders)))
    _token, system = token_issue(actor=None, name="基准测试数据接口", client=client, role=Role.SYSTEM)
    scoped = []
    for enterprise in Enterprise.objects.filter(pk__in=chosen).order_by("pk"):
        _token, secret = token_issue(
            actor=None,
            name=f"{enterprise.name}企业端",
            client=client,
            role=Role.ENTERPRISE,
            enterprise=enterprise,
        )
        scoped.append((enterprise.pk, secret))
    return system, scoped


def main(argv: list[str] | None = None) -> list[tuple]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transfers", type=int, default=1_120_000, help="about this many transfers")
    parser.add_argument("--enterprises", type=int, default=5_000)
    parser.add_argument("--requests", type=int, default=400, help="requests of each endpoint")
    parser.add_argument("--threads", type=int, default=4, help="client threads")
    parser.add_argument("--units", type=int, default=200, help="units with their own enterprise token")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--database", default=DB_NAME, help="the PostgreSQL database")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database of an earlier run (no generation)"
    )
    args = parser.parse_args(argv)
    keys = os.environ.get("AUDIT_HMAC_KEYS") or f"bench-{secrets.token_hex(2)}:{secrets.token_hex(32)}"
    os.environ["AUDIT_HMAC_KEYS"] = keys
    locate = recreate if not args.reuse else database_url
    url = locate("postgres", args.database)
    start_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if not args.reuse:
        from bench.generate import generate

        started = time.perf_counter()
        print(f"generating about {args.transfers:,} transfers for {args.enterprises:,} units …", flush=True)
        generate(args.transfers, args.enterprises, 2016)
        print(f"generated in {time.perf_counter() - started:.0f} s", flush=True)
    from totalquota.ledger.models import Account, Transfer
    from totalquota.registry.models import Enterprise, Pollutant, Zone

    transfers, units = Transfer.objects.count(), Enterprise.objects.count()
    cells = Zone.objects.filter(is_active=True).count() * Pollutant.objects.count()
    if args.reuse:
        import logging

        # The tokens' audit events are chained with this run's key, which did not write the chain
        # head of the reused database: they stay queued (the benchmark database's chain is not
        # verified), and the chainer's refusal at exit is expected, not worth a traceback.
        logging.getLogger("totalquota.audit.chain").setLevel(logging.CRITICAL)
    system, scoped = issue_tokens(args.units, args.seed)
    if not scoped:
        raise SystemExit("no unit holds an allocation account: generate the data first (without --reuse)")
    held = Account.objects.filter(kind="allocation", holder_enterprise_id__in=[pk for pk, _s in scoped])
    accounts_per_unit = held.count() / len(scoped)
    every_secret = [system] + [s for _pk, s in scoped]

    os.environ["API_RATE_LIMIT"] = ""  # the server's environment: no per-token limit
    var_dir = Path(tempfile.mkdtemp(prefix="bench_api_var_"))
    port = free_port()
    server = start_server(url, var_dir, port, keys)
    n = args.requests
    endpoints: list[tuple[str, list[tuple[str, str]]]] = [
        (
            "trivial: GET /api/v1/zones",
            [("/api/v1/zones", every_secret[i % len(every_secret)]) for i in range(n)],
        ),
        ("balances, now: GET /api/v1/ledger/balances", [("/api/v1/ledger/balances", system)] * n),
        (f"balances, as_of={AS_OF}", [(f"/api/v1/ledger/balances?as_of={AS_OF}", system)] * n),
        (
            "a unit's allocation accounts: /ledger/accounts?kind=allocation",
            [("/api/v1/ledger/accounts?kind=allocation", scoped[i % len(scoped)][1]) for i in range(n)],
        ),
        (
            "a unit's record: /emissions/units/{id}/record",
            [
                (f"/api/v1/emissions/units/{pk}/record", s)
                for pk, s in (scoped[i % len(scoped)] for i in range(n))
            ],
        ),
    ]
    # The trivial endpoint again at the end: on a shared machine the load may change during the run.
    phases = [*endpoints, endpoints[0]]
    measured: list[tuple[str, float, list[tuple[int, float]]]] = []
    sizes: dict[str, int] = {}

    def work(worker: Worker, job: tuple[str, str]) -> tuple[int, float]:
        status, body, seconds = worker.call("GET", job[0], job[1])
        if status == 200 and job[0].startswith("/api/v1/ledger/accounts"):
            sizes[job[1]] = len(json.loads(body)["items"])
        return status, seconds

    try:
        # Warm-up: every token once (its first use records last_used_at), the workers' imports and
        # caches, then a few of each endpoint.
        run_phase(port, args.threads, [("/api/v1/zones", s) for s in every_secret], work)
        for _label, jobs in endpoints:
            run_phase(port, args.threads, jobs[: 5 * args.threads], work)
        for label, jobs in phases:
            wall, outcome = run_phase(port, args.threads, jobs, work)
            measured.append((label, wall, outcome))
    finally:
        stop_server(server, var_dir)

    wrong = {label: sorted({s for s, _t in outcome} - {200}) for label, _w, outcome in measured}
    wrong = {label: s for label, s in wrong.items() if s}
    if wrong:
        raise SystemExit(f"unexpected answers: {wrong}")
    first, last = measured[0], measured[-1]
    trivial_rate = (len(first[2]) + len(last[2])) / (first[1] + last[1])
    rows = []
    ratios = {}
    for index, (label, wall, outcome) in enumerate(measured):
        ms = [t * 1000 for _s, t in outcome]
        rate = len(outcome) / wall
        name = label if index < len(measured) - 1 else "trivial again, at the end"
        is_trivial = index in (0, len(measured) - 1)
        if not is_trivial:
            ratios[label] = rate / trivial_rate
        rows.append(
            (
                name,
                len(ms),
                f"{rate:.1f}",
                f"{statistics.median(ms):.1f}",
                f"{percentile(ms, 0.95):.1f}",
                "(reference)" if is_trivial else f"{rate / trivial_rate:.2f}",
            )
        )
    workers = os.environ.get("WEB_WORKERS", "2")
    threads = os.environ.get("WEB_THREADS", "4")
    print(
        f"\n{transfers:,} transfers, {units:,} units; {cells} zone x pollutant cells; {len(scoped)} enterprise "
        f"tokens ({accounts_per_unit:.1f} allocation accounts per unit, "
        f"{statistics.mean(sizes.values()) if sizes else 0:.1f} per answer, pages of 50)\n"
        f"{args.threads} client threads; gunicorn {workers} workers x {threads} threads (settings_local), "
        f"PostgreSQL database {args.database}\n"
    )
    print(table(rows, ("endpoint", "requests", "req/s", "p50 ms", "p95 ms", "req/s / trivial")))
    worst = min(ratios.values())
    print(
        f"\ntrivial reference: {trivial_rate:.1f} req/s (start and end together)"
        f"\nlowest ratio {worst:.2f} (goal at least {GOAL}): {'met' if worst >= GOAL else 'NOT met'}"
    )
    return rows


if __name__ == "__main__":
    main()
