"""The deadline peak of the emission total library: units creating, filling and submitting their
yearly reports through the API at once, on PostgreSQL, under the production server.

    python -m bench.report_submissions                 # 1,000 units, 8 client threads
    python -m bench.report_submissions --quick         # 100 units: a minute or two
    python -m bench.report_submissions --units 300 --threads 16

Each unit has its own system's bearer token (role enterprise, scoped to the unit) and is on the
management list of last year. One submission is the unit's three requests through the HTTP API:
``POST /emission-reports`` (the report, version 1), ``PUT …/lines`` (three pollutants, quantities as
text) and ``POST …/submit`` (the kernel locks the report, freezes the version, checks it, writes
the transition and the audit event). The platform runs as ``bin/start`` serves it: gunicorn with
``src/totalquota/gunicorn_conf.py`` (two workers of four threads unless ``WEB_WORKERS`` /
``WEB_THREADS`` say otherwise), ``settings_local`` (DEBUG off), on its own database
(``bench_reports``, recreated on every run; see bench/_setup.py).

Reference, in the same run against the same server with the same tokens and threads: a trivial
authenticated endpoint (``GET /api/v1/zones``: the token looked up, one small scoped query). The
figures: submissions per second and the latency of a whole submission and of the submit request
alone (p50, p95), requests per second of both, and the ratio of the submission workload's request
rate to the trivial endpoint's. The busiest day the issue names is 1,000 units within one hour
(0.28 submissions per second).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from bench._setup import ROOT, recreate, start_django, table

DB_NAME = "bench_reports"
POLLUTANTS = [("COD", "12.5", "30"), ("NH3N", "0.85", "2.1"), ("VOCS", "3.25", None)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def prepare(units: int, year: int) -> list[str]:
    """The park, ``units`` listed units of two zones and one enterprise token each (with Django
    started against the benchmark database)."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from totalquota.accounts.models import User
    from totalquota.accounts.roles import Role
    from totalquota.accounts.services import token_issue
    from totalquota.emissions.models import ListEntry
    from totalquota.lib import uscc
    from totalquota.registry.models import Enterprise, Park, Zone

    admin = User.objects.create(username="bench-runner", role=Role.ADMIN)
    client = User.objects.create(username="bench-unit-systems", role=Role.SYSTEM)
    park = Park.objects.get_or_create(code="SIP", defaults={"name": "苏州工业园区"})[0]
    zones = [
        Zone.objects.create(park=park, code="HMT", name="高端制造与国际贸易区", sort_order=1),
        Zone.objects.create(park=park, code="DSL", name="独墅湖科教创新区", sort_order=2),
    ]
    enterprises = Enterprise.objects.bulk_create(
        Enterprise(
            name=f"基准申报单位{i:04d}有限公司",
            uscc=uscc.complete(f"91320594R{i:08d}"),
            permit_number=f"{i:08d}V",
            zone=zones[i % 2],
        )
        for i in range(units)
    )
    ListEntry.objects.bulk_create(
        ListEntry(year=year, enterprise=e, zone=e.zone, added_by=admin, basis="重点排污单位")
        for e in enterprises
    )
    secrets_ = []
    for e in enterprises:
        _token, secret = token_issue(
            actor=None, name=f"{e.name}在线监控系统", client=client, role=Role.ENTERPRISE, enterprise=e
        )
        secrets_.append(secret)
    return secrets_


def start_server(url: str, var_dir: Path, port: int, keys: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "totalquota.settings_local",
        "TOTALQUOTA_VAR_DIR": str(var_dir),
        "AUDIT_HMAC_KEYS": keys,
        "PYTHONPATH": str(ROOT / "src"),
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [
            str(gunicorn),
            "--config",
            str(ROOT / "src" / "totalquota" / "gunicorn_conf.py"),
            "--pythonpath",
            str(ROOT / "src"),
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "/dev/null",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/v1/zones")
            conn.getresponse().read()
            conn.close()
            return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit(
                    "gunicorn stopped: " + (server.stderr.read() or b"").decode()[-2000:]
                ) from None
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("gunicorn did not answer within 60 s")


def stop_server(server: subprocess.Popen, var_dir: Path) -> None:
    """Stop the gunicorn of :func:`start_server` (killed if it has not stopped within 30 s) and
    remove its var directory."""
    server.terminate()
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        server.kill()
    shutil.rmtree(var_dir, ignore_errors=True)


class Worker:
    """One client thread's keep-alive connection to the server."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def call(self, method: str, path: str, secret: str, body: dict | None = None) -> tuple[int, bytes, float]:
        headers = {"Authorization": f"Bearer {secret}", "Host": "127.0.0.1"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        start = time.perf_counter()
        try:
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            content = response.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            content = response.read()
        return response.status, content, time.perf_counter() - start


def run_phase(port: int, threads: int, jobs: list, work) -> tuple[float, list]:
    """``work(worker, job)`` for every job, ``threads`` at a time; wall seconds and the results."""
    results: list = []
    lock = threading.Lock()
    queue = list(reversed(jobs))
    errors: list[BaseException] = []

    def loop() -> None:
        worker = Worker(port)
        while True:
            with lock:
                if not queue:
                    return
                job = queue.pop()
            try:
                outcome = work(worker, job)
            except BaseException as exc:  # reported after the phase
                with lock:
                    errors.append(exc)
                return
            with lock:
                results.append(outcome)

    pool = [threading.Thread(target=loop, daemon=True) for _ in range(threads)]
    start = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    wall = time.perf_counter() - start
    if errors:
        raise errors[0]
    return wall, results


def main(argv: list[str] | None = None) -> list[tuple]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--quick", action="store_true", help="100 units")
    parser.add_argument("--database", default=DB_NAME, help="the PostgreSQL database (recreated)")
    args = parser.parse_args(argv)
    units = 100 if args.quick and args.units == 1000 else args.units
    url = recreate("postgres", args.database)
    keys = os.environ.get("AUDIT_HMAC_KEYS") or f"bench-{secrets.token_hex(2)}:{secrets.token_hex(32)}"
    os.environ["AUDIT_HMAC_KEYS"] = keys
    start_django(url)
    from django.utils import timezone

    year = timezone.localdate().year - 1
    print(f"preparing {units} listed units with their tokens …", flush=True)
    tokens = prepare(units, year)
    var_dir = Path(tempfile.mkdtemp(prefix="bench_reports_var_"))
    port = free_port()
    server = start_server(url, var_dir, port, keys)
    statuses: Counter[tuple[str, int]] = Counter()
    try:
        # Warm-up: every token once (its first use records last_used_at), workers' imports done.
        run_phase(port, args.threads, tokens, lambda w, s: w.call("GET", "/api/v1/zones", s))

        trivial_jobs = [tokens[i % units] for i in range(units * 3)]

        def trivial(worker: Worker, secret: str) -> tuple[int, float]:
            status, _body, seconds = worker.call("GET", "/api/v1/zones", secret)
            return status, seconds

        trivial_wall, trivial_results = run_phase(port, args.threads, trivial_jobs, trivial)

        def submit(worker: Worker, secret: str) -> tuple[list[tuple[str, int]], float, float]:
            steps: list[tuple[str, int]] = []
            status, body, t1 = worker.call("POST", "/api/v1/emission-reports", secret, {"year": year})
            steps.append(("create", status))
            if status != 201:
                return steps, t1, 0.0
            pk = json.loads(body)["id"]
            lines = [
                {
                    "pollutant": code,
                    "actual": actual,
                    "sewer": sewer,
                    "method": "online",
                    "data_source": f"{year} 年排污许可执行报告",
                    "difference_note": "排污许可证未载明该污染物许可量，按实际排放申报",
                }
                for code, actual, sewer in POLLUTANTS
            ]
            status, _b, t2 = worker.call(
                "PUT", f"/api/v1/emission-reports/{pk}/lines", secret, {"lines": lines}
            )
            steps.append(("lines", status))
            status, _b, t3 = worker.call(
                "POST", f"/api/v1/emission-reports/{pk}/submit", secret, {"note": "按期报送"}
            )
            steps.append(("submit", status))
            return steps, t1 + t2 + t3, t3

        submit_wall, submit_results = run_phase(port, args.threads, tokens, submit)
    finally:
        stop_server(server, var_dir)

    for steps, _total, _submit in submit_results:
        statuses.update(steps)
    statuses.update(("zones", s) for s, _t in trivial_results)
    from totalquota.emissions.models import EmissionReport, ReportTransition

    submitted = EmissionReport.objects.filter(status="submitted").count()
    transitions = ReportTransition.objects.filter(action="submit").count()
    ok = [r for r in submit_results if r[0] and r[0][-1] == ("submit", 200)]
    whole = [r[1] * 1000 for r in ok]
    submit_only = [r[2] * 1000 for r in ok]
    trivial_ms = [t * 1000 for s, t in trivial_results if s == 200]
    submission_rate = len(ok) / submit_wall
    request_rate = sum(len(r[0]) for r in submit_results) / submit_wall
    trivial_rate = len(trivial_results) / trivial_wall
    rows = [
        (
            "submission (create + lines + submit)",
            len(ok),
            f"{submission_rate:.1f}/s",
            f"{request_rate:.1f} req/s",
            f"{statistics.median(whole):.0f}",
            f"{percentile(whole, 0.95):.0f}",
        ),
        (
            "  submit request alone",
            len(ok),
            "",
            "",
            f"{statistics.median(submit_only):.0f}",
            f"{percentile(submit_only, 0.95):.0f}",
        ),
        (
            "trivial: GET /api/v1/zones",
            len(trivial_ms),
            "",
            f"{trivial_rate:.1f} req/s",
            f"{statistics.median(trivial_ms):.0f}",
            f"{percentile(trivial_ms, 0.95):.0f}",
        ),
    ]
    workers = os.environ.get("WEB_WORKERS", "2")
    threads = os.environ.get("WEB_THREADS", "4")
    print(
        f"\n{units} units, {args.threads} client threads; gunicorn {workers} workers x {threads} threads "
        f"(settings_local), PostgreSQL database {args.database}\n"
    )
    print(table(rows, ("workload", "done", "submissions", "requests", "p50 ms", "p95 ms")))
    print(
        f"\nratio of request rates, submission workload / trivial endpoint: {request_rate / trivial_rate:.2f}"
        f"\nratio of p95, submit request / trivial endpoint: {percentile(submit_only, 0.95) / percentile(trivial_ms, 0.95):.1f}"
        f"\n1,000 units within one hour need 0.28 submissions/s: {submission_rate / (1000 / 3600):.0f} x that"
    )
    print(f"\nHTTP statuses: {dict(sorted(statuses.items()))}")
    print(f"reports submitted: {submitted}; submit transitions: {transitions}")
    bad = {k: v for k, v in statuses.items() if k[1] >= 400}
    if bad or submitted != units or transitions != units:
        raise SystemExit(f"not every unit submitted cleanly: {bad}")
    return rows


if __name__ == "__main__":
    main()
