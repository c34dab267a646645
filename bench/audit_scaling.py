"""How allocations per second scale with concurrent clients working in different zones (PostgreSQL).

    python -m bench.audit_scaling                         # 1, 2, 4, 8 clients, 10 s each
    python -m bench.audit_scaling --seconds 5 --clients 1 8
    git archive main src | tar -x -C /tmp/before && python -m bench.audit_scaling --src /tmp/before/src

Each client is its own process (threads would be serialised by the interpreter lock) with its own
database connection, working in its own zone on its own stock: one ``ledger.services.draw`` after
another into one allocation account of that zone, each in its own transaction with its audit event
(and, with keyed chaining, the chaining after commit). Independent zones share no ledger row, so
the only thing that could make them wait for each other is the audit log. All clients start at
the same instant and run for a fixed time; the figure is the number of allocations committed per
second, and its ratio to one client (goal on a 2-core machine: 8 clients >= 1.5 x one client).

The load generator's own cost is measured the same way: the same processes and loop with the
draw replaced by a trivial transaction (``SELECT 1``), and the CPU time the client processes used
(which, on a machine whose cores the database server also needs, is capacity the server did not
get). ``--src`` runs the same load against another checkout's ``src`` (its own migrations), to
measure the code before a change on the same machine in the same way.

Uses its own database (``bench_audit_scaling`` on the local server, see bench/_setup.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import subprocess
import sys
import time

from bench._setup import ROOT, allocate, fund_lot, recreate, table

DB_NAME = "bench_audit_scaling"
ZONES = 8
DRAW_GRAMS = 1_000
LOT_GRAMS = 1_000_000_000  # 1000 t per zone: far more than any run draws


def _start(url: str, src: str | None) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "totalquota.settings"
    os.environ.setdefault("DJANGO_DEBUG", "false")
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, src or str(ROOT / "src"))
    import django

    django.setup()


def setup(zones: int) -> dict:
    """Migrate, then give every zone a lot, an enterprise and an allocation account."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from totalquota.accounts.models import User
    from totalquota.ledger import services
    from totalquota.lib import uscc
    from totalquota.registry.models import Enterprise, Park, Pollutant, Zone

    admin = User.objects.get_or_create(username="bench-runner", defaults={"role": "admin"})[0]
    pollutant = Pollutant.objects.get(code="VOCS")
    park = Park.objects.get_or_create(code="SIP", defaults={"name": "苏州工业园区"})[0]
    day = dt.date(2026, 1, 5)
    out = []
    for i in range(zones):
        zone = Zone.objects.create(park=park, code=f"Z{i}", name=f"基准功能区{i}", sort_order=i + 1)
        code = uscc.complete(f"91320594MB{i:07d}")
        holder = Enterprise.objects.create(
            name=f"基准单位{i}", uscc=code, permit_number=f"{code}001V", zone=zone
        )
        fund_lot(
            admin=admin,
            zone=zone,
            pollutant=pollutant,
            grams=LOT_GRAMS,
            ref=f"scaling-{i}",
            key=f"scaling-lot-{i}",
            day=day,
        )
        account = services.account_open(
            actor=admin.principal,
            zone=zone,
            pollutant=pollutant,
            kind="allocation",
            holder_enterprise=holder,
            opened_on=day,
        )
        out.append({"zone": zone.pk, "account": account.pk})
    return {"zones": out, "admin": admin.pk, "pollutant": pollutant.pk}


def client(args) -> dict:
    """One client: warm up, wait for the common start, then draw (or run the trivial
    transaction) until the end of the window; count and CPU time of that window only."""
    from django.db import connection, transaction

    from totalquota.accounts.models import User
    from totalquota.ledger.models import Account
    from totalquota.registry.models import Pollutant, Zone

    admin = User.objects.get(pk=args.admin)
    pollutant = Pollutant.objects.get(pk=args.pollutant)
    zone = Zone.objects.get(pk=args.zone)
    account = Account.objects.get(pk=args.account)
    run = secrets.token_hex(4)
    day = dt.date(2026, 1, 5)
    n = 0

    def draw() -> None:
        allocate(
            admin=admin,
            zone=zone,
            pollutant=pollutant,
            grams=DRAW_GRAMS,
            account=account,
            key=f"scaling-{run}-{n}",
            day=day,
        )

    def trivial() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    op = draw if args.mode == "draw" else trivial
    for _ in range(3):  # warm-up: connection, caches, prepared plans
        op()
        n += 1
    # Barrier: every client is started and warm before the parent names the common start.
    print("READY", flush=True)
    start_at = float(sys.stdin.readline())
    while time.time() < start_at:
        time.sleep(0.001)
    end = start_at + args.seconds
    cpu0, wall0, count = time.process_time(), time.perf_counter(), 0
    while time.time() < end:
        op()
        n += 1
        count += 1
    return {"ops": count, "cpu_s": time.process_time() - cpu0, "wall_s": time.perf_counter() - wall0}


def check() -> dict:
    """After the runs: the ledger reconciles and every audit event is linked (audit_verify)."""
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("ledger_reconcile", stdout=out)
    return {"reconcile": out.getvalue().strip().splitlines()[-1]}


def worker(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["setup", "client", "check"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--src")
    parser.add_argument("--zones", type=int, default=ZONES)
    parser.add_argument("--mode", choices=["draw", "trivial"], default="draw")
    parser.add_argument("--zone", type=int)
    parser.add_argument("--account", type=int)
    parser.add_argument("--admin", type=int)
    parser.add_argument("--pollutant", type=int)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args(argv)
    _start(args.url, args.src)
    if args.what == "setup":
        result = setup(args.zones)
    elif args.what == "client":
        result = client(args)
    else:
        result = check()
    print("RESULT " + json.dumps(result), flush=True)


def _command(what: str, url: str, src: str | None, *extra: str) -> list[str]:
    return [sys.executable, "-m", "bench.audit_scaling", "worker", what, "--url", url, *extra] + (
        ["--src", src] if src else []
    )


def _result(proc: subprocess.CompletedProcess | tuple[str, str], what: str) -> dict:
    stdout, stderr = (proc.stdout, proc.stderr) if isinstance(proc, subprocess.CompletedProcess) else proc
    line = next((x for x in stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"{what} failed:\n{stdout[-3000:]}\n{stderr[-3000:]}")
    return json.loads(line[7:])


def measure(
    url: str, src: str | None, info: dict, clients: int, mode: str, seconds: float, env: dict
) -> dict:
    procs = []
    for i in range(clients):
        z = info["zones"][i]
        extra = [
            "--mode",
            mode,
            "--zone",
            str(z["zone"]),
            "--account",
            str(z["account"]),
            "--admin",
            str(info["admin"]),
            "--pollutant",
            str(info["pollutant"]),
            "--seconds",
            str(seconds),
        ]
        procs.append(
            subprocess.Popen(
                _command("client", url, src, *extra),
                cwd=ROOT,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    for proc in procs:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if line.strip() != "READY":
            out, err = proc.communicate(timeout=60)
            raise SystemExit(f"client ({mode}, {clients}) did not start:\n{line}{out[-3000:]}\n{err[-3000:]}")
    start_at = time.time() + 0.2
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write(f"{start_at}\n")
        proc.stdin.flush()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=seconds + 120)
        results.append(_result((out, err), f"client ({mode}, {clients})"))
    ops = sum(r["ops"] for r in results)
    return {
        "rate": ops / seconds,
        "ops": ops,
        "cpu_cores": sum(r["cpu_s"] for r in results) / seconds,
        "cpu_ms_per_op": 1000 * sum(r["cpu_s"] for r in results) / max(ops, 1),
    }


def main(argv: list[str] | None = None) -> list[tuple]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured window per client count")
    parser.add_argument("--src", help="run against another checkout's src directory (e.g. the code before)")
    parser.add_argument("--skip-trivial", action="store_true", help="do not measure the generator's own loop")
    parser.add_argument("--database", default=DB_NAME)
    args = parser.parse_args(argv)
    if max(args.clients) > ZONES:
        raise SystemExit(f"at most {ZONES} clients (one zone each)")
    url = recreate("postgres", args.database)
    env = {**os.environ, "DJANGO_DEBUG": "false"}
    # The benchmark's database is thrown away: a key of its own unless one is given.
    env.setdefault("AUDIT_HMAC_KEYS", "bench:" + secrets.token_hex(32))
    setup_run = subprocess.run(
        _command("setup", url, args.src, "--zones", str(ZONES)),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    info = _result(setup_run, "setup")
    rows = []
    base = None
    for clients in args.clients:
        draws = measure(url, args.src, info, clients, "draw", args.seconds, env)
        base = base or draws["rate"]
        trivial = (
            None if args.skip_trivial else measure(url, args.src, info, clients, "trivial", args.seconds, env)
        )
        rows.append(
            (
                clients,
                draws["ops"],
                f"{draws['rate']:.0f}/s",
                f"{draws['rate'] / base:.2f}",
                f"{draws['cpu_cores']:.2f}",
                f"{draws['cpu_ms_per_op']:.2f}",
                f"{trivial['rate']:.0f}/s" if trivial else "",
                f"{trivial['cpu_ms_per_op']:.3f}" if trivial else "",
            )
        )
    checked = _result(
        subprocess.run(_command("check", url, args.src), cwd=ROOT, env=env, capture_output=True, text=True),
        "check",
    )
    print(
        f"Allocations per second, clients in separate zones, {args.seconds:g} s each ({args.src or 'this checkout'})"
    )
    print(
        table(
            rows,
            (
                "clients",
                "allocations",
                "rate",
                "x one client",
                "client CPU (cores)",
                "client CPU ms/alloc",
                "trivial txn rate",
                "trivial CPU ms/txn",
            ),
        )
    )
    print(f"after the runs: {checked['reconcile']}")
    return rows


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        worker(sys.argv[2:])
    else:
        main()
