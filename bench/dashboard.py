"""The park dashboard under the production server, with the ledger benchmark's scale data.

    python -m bench.dashboard                          # 5,000 units, ten years, ~1.1 M transfers
    python -m bench.dashboard --transfers 200000       # smaller ledger, same shape
    python -m bench.dashboard --requests 60 --threads 2
    python -m bench.dashboard --reuse                  # the database of the last run, as it is

The data is ``bench.generate``'s (a park of four zones, 5,000 enterprises, 2016-2025), loaded into
its own PostgreSQL database (``bench_dashboard``, recreated on every run; see bench/_setup.py). The
platform runs as ``bin/start`` serves it: static files collected, gunicorn with
``src/totalquota/gunicorn_conf.py`` (``WEB_WORKERS`` / ``WEB_THREADS``), ``settings_local``.

A reviewer's session (made in the database, sent as the session cookie) requests, in the same run
against the same server: the park dashboard now (``/supervision/dashboards/park/``), as of a past
date with today's knowledge and as known at the time, and a trivial page of the same server (the
language switch ``/i18n/setlang/`` answers a redirect without reading anything but the session).
Each is requested ``--requests`` times (after a warm-up); the figures are the median and p95 in
milliseconds and their ratios to the trivial page's. The issue's target: the park dashboard under
300 ms median.
"""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._setup import ROOT, database_url, recreate, start_django, table
from bench.report_submissions import free_port, percentile, run_phase, start_server, stop_server

DB_NAME = "bench_dashboard"


SESSION_CODE = """
import secrets
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from totalquota.accounts.models import User
user, _ = User.objects.get_or_create(username="bench-reviewer", defaults={"role": "reviewer"})
user.set_password(secrets.token_hex(16))
user.must_change_password = False
user.save()
store = SessionStore()
store[SESSION_KEY] = str(user.pk)
store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
store[HASH_SESSION_KEY] = user.get_session_auth_hash()
store.create()
print(store.session_key)
"""


def session_cookie(env: dict[str, str]) -> str:
    """A signed-in reviewer's session key: a session row written as Django's login writes it, by
    the server's own settings (its generated secret key signs the session's auth hash)."""
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SESSION_CODE],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip().splitlines()[-1]


def get(conn_holder: list, port: int, path: str, cookie: str) -> tuple[int, float]:
    headers = {"Cookie": f"sessionid={cookie}", "Host": "127.0.0.1", "Accept-Language": "zh-CN"}
    start = time.perf_counter()
    for attempt in (1, 2):
        try:
            conn_holder[0].request("GET", path, headers=headers)
            response = conn_holder[0].getresponse()
            response.read()
            return response.status, time.perf_counter() - start
        except (http.client.HTTPException, OSError):
            conn_holder[0].close()
            conn_holder[0] = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            if attempt == 2:
                raise
            start = time.perf_counter()
    raise AssertionError("unreachable")


def main(argv: list[str] | None = None) -> list[tuple]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transfers", type=int, default=1_120_000, help="about this many transfers")
    parser.add_argument("--enterprises", type=int, default=5_000)
    parser.add_argument("--requests", type=int, default=100, help="requests of each page")
    parser.add_argument("--threads", type=int, default=1, help="client threads")
    parser.add_argument("--database", default=DB_NAME, help="the PostgreSQL database (recreated)")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database of an earlier run (no generation)"
    )
    args = parser.parse_args(argv)
    keys = os.environ.get("AUDIT_HMAC_KEYS") or f"bench-{secrets.token_hex(2)}:{secrets.token_hex(32)}"
    os.environ["AUDIT_HMAC_KEYS"] = keys
    if args.reuse:
        url = database_url("postgres", args.database)
        start_django(url)
    else:
        url = recreate("postgres", args.database)
        start_django(url)
        from django.core.management import call_command

        from bench.generate import generate

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        print(f"generating about {args.transfers:,} transfers for {args.enterprises:,} units …", flush=True)
        generate(args.transfers, args.enterprises, 2016)
        print(f"generated in {time.perf_counter() - started:.0f} s", flush=True)
    from totalquota.ledger.models import Transfer
    from totalquota.registry.models import Enterprise

    transfers, units = Transfer.objects.count(), Enterprise.objects.count()
    var_dir = Path(tempfile.mkdtemp(prefix="bench_dashboard_var_"))
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "totalquota.settings_local",
        "TOTALQUOTA_VAR_DIR": str(var_dir),
        "PYTHONPATH": str(ROOT / "src"),
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    cookie = session_cookie(env)
    port = free_port()
    server = start_server(url, var_dir, port, keys)
    pages = [
        ("trivial: GET /i18n/setlang/ (redirect)", "/i18n/setlang/"),
        ("park dashboard, now", "/supervision/dashboards/park/"),
        (
            "park dashboard, as of 2024-12-31, today's knowledge",
            "/supervision/dashboards/park/?as_of=2024-12-31",
        ),
        (
            "park dashboard, as of 2024-12-31, as known then",
            "/supervision/dashboards/park/?as_of=2024-12-31&view=known",
        ),
    ]
    results: dict[str, list[float]] = {}
    statuses: dict[str, set[int]] = {}
    try:
        for label, path in pages:

            def work(worker, _job, path=path):
                holder = getattr(worker, "holder", None)
                if holder is None:
                    holder = worker.holder = [http.client.HTTPConnection("127.0.0.1", port, timeout=120)]
                return get(holder, port, path, cookie)

            run_phase(port, args.threads, list(range(5)), work)  # warm-up: imports, caches of the server
            _wall, outcome = run_phase(port, args.threads, list(range(args.requests)), work)
            statuses[label] = {s for s, _t in outcome}
            results[label] = [t * 1000 for _s, t in outcome]
    finally:
        stop_server(server, var_dir)

    wrong = {label: s for label, s in statuses.items() if s != {200 if label != pages[0][0] else 302}}
    if wrong:
        raise SystemExit(f"unexpected answers: {wrong}")
    trivial = results[pages[0][0]]
    t50, t95 = statistics.median(trivial), percentile(trivial, 0.95)
    rows = []
    for label, _path in pages:
        ms = results[label]
        p50, p95 = statistics.median(ms), percentile(ms, 0.95)
        rows.append(
            (
                label,
                ",".join(str(s) for s in sorted(statuses[label])),
                len(ms),
                f"{p50:.0f}",
                f"{p95:.0f}",
                f"{p50 / t50:.1f}",
                f"{p95 / t95:.1f}",
            )
        )
    workers = os.environ.get("WEB_WORKERS", "2")
    threads = os.environ.get("WEB_THREADS", "4")
    print(
        f"\n{transfers:,} transfers, {units:,} units; {args.threads} client thread(s); "
        f"gunicorn {workers} workers x {threads} threads (settings_local), PostgreSQL database {args.database}\n"
    )
    print(table(rows, ("page", "status", "requests", "p50 ms", "p95 ms", "p50 / trivial", "p95 / trivial")))
    park = statistics.median(results[pages[1][0]])
    print(
        f"\npark dashboard median {park:.0f} ms (target under 300 ms): {'met' if park < 300 else 'NOT met'}"
    )
    return rows


if __name__ == "__main__":
    main()
