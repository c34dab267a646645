"""Every benchmark runs end to end at a tiny scale, so none of them can rot unnoticed.

The figures they print are not checked here (speed is measured by running them for real, see
bench/); what is checked is that they run, that the generated ledger reconciles and that the
measured draws went through the real services.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


# The audit chain's key for the benchmarks' own processes (never the keyring file under var/).
AUDIT_KEYS = {"AUDIT_HMAC_KEYS": "bench-test:" + "6b" * 32}


def run(args: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**os.environ, **AUDIT_KEYS, **env},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return result.stdout


def postgres_reachable() -> bool:
    import psycopg

    try:
        psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=3).close()
    except Exception:
        return False
    return True


def test_the_generator_reconciles_and_the_balance_queries_run_on_it(tmp_path):
    env = {"BENCH_SQLITE_PATH": str(tmp_path / "ledger.sqlite3"), "DATABASE_URL": ""}
    out = run(["-m", "bench.generate", "--db", "sqlite", "--transfers", "4000", "--enterprises", "60"], env)
    assert "generated" in out
    url = "sqlite:///" + env["BENCH_SQLITE_PATH"]
    check = run(["manage.py", "ledger_reconcile"], {"DATABASE_URL": url})
    assert "对账通过" in check
    out = run(["-m", "bench.balance_queries", "--db", "sqlite", "--repeat", "5"], env)
    assert "current zone x pollutant balance" in out


def test_the_posting_rate_worker_measures_real_draws(tmp_path):
    url = "sqlite:///" + str(tmp_path / "fresh.sqlite3")
    out = run(["-m", "bench.posting_rate", "worker", "ours", "--url", url, "--n", "5", "--fresh"], {})
    assert out.strip().splitlines()[-1].startswith("RESULT ")


@pytest.mark.skipif(not postgres_reachable(), reason="django-hordak needs PostgreSQL")
def test_the_hordak_worker_runs_the_same_workload():
    sys.path.insert(0, str(ROOT))
    from bench._setup import recreate

    url = recreate("postgres", "bench_hordak_smoke")
    out = run(
        [
            "-m",
            "bench.posting_rate",
            "worker",
            "hordak",
            "--url",
            url,
            "--n",
            "3",
            "--fresh",
            "--settings",
            "bench.settings_hordak",
        ],
        {},
    )
    assert out.strip().splitlines()[-1].startswith("RESULT ")


@pytest.mark.skipif(not postgres_reachable(), reason="the scaling benchmark measures PostgreSQL")
def test_the_audit_scaling_benchmark_runs_clients_as_processes_and_reconciles():
    out = run(
        [
            "-m",
            "bench.audit_scaling",
            "--clients",
            "1",
            "2",
            "--seconds",
            "0.5",
            "--database",
            "bench_audit_scaling_smoke",
        ],
        {},
    )
    lines = out.strip().splitlines()
    rows = [line.split() for line in lines if line[:1].isdigit()]
    assert [row[0] for row in rows] == ["1", "2"]
    assert all(int(row[1]) > 0 for row in rows)  # real draws were committed by every run
    assert all(row[6].endswith("/s") for row in rows)  # the generator's own loop was measured
    assert "对账通过" in lines[-1]


def test_the_unit_accounts_benchmark_opens_accounts_with_both_hashers(tmp_path):
    env = {"BENCH_SQLITE_PATH": str(tmp_path / "units.sqlite3"), "DATABASE_URL": ""}
    out = run(["-m", "bench.unit_accounts", "--db", "sqlite", "--units", "3"], env)
    assert "stored: argon2, argon2_onetime" in out  # real hashes of both kinds were written
    assert "one-time hasher (now)" in out and "default argon2 (before)" in out


def test_the_streaming_import_benchmark_runs_a_real_job_against_the_reference(tmp_path):
    env = {"BENCH_SQLITE_PATH": str(tmp_path / "streaming.sqlite3"), "DATABASE_URL": ""}
    out = run(["-m", "bench.streaming_import", "--db", "sqlite", "--rows", "200", "--repeat", "1"], env)
    assert "job: stream, check, write, done" in out and "ratio job / reference" in out


@pytest.mark.skipif(not postgres_reachable(), reason="the submission peak is measured on PostgreSQL")
def test_the_report_submission_benchmark_submits_through_the_server_it_starts():
    out = run(
        [
            "-m",
            "bench.report_submissions",
            "--units",
            "4",
            "--threads",
            "2",
            "--database",
            "bench_reports_smoke",
        ],
        {},
    )
    assert "reports submitted: 4; submit transitions: 4" in out
    assert "ratio of request rates" in out and "trivial: GET /api/v1/zones" in out


def test_the_supervision_report_bench_runs_on_a_tiny_ledger(tmp_path):
    env = {"BENCH_SQLITE_PATH": str(tmp_path / "ledger.sqlite3"), "DATABASE_URL": ""}
    run(["-m", "bench.generate", "--db", "sqlite", "--transfers", "3000", "--enterprises", "40"], env)
    out = run(["-m", "bench.supervision_report", "--db", "sqlite", "--year", "2025"], env)
    assert "annual supervision report, figures + XLSX" in out and "unit rows" in out


@pytest.mark.skipif(not postgres_reachable(), reason="the API throughput is measured on PostgreSQL")
def test_the_api_throughput_benchmark_reads_balances_and_unit_accounts_through_the_server():
    args = ["-m", "bench.api_throughput", "--database", "bench_api_smoke", "--threads", "2"]
    small = ["--transfers", "3000", "--enterprises", "40", "--requests", "8", "--units", "3"]
    out = run([*args, *small], {})
    assert "balances, as_of=2024-12-31" in out and "a unit's allocation accounts" in out
    assert "lowest ratio" in out and "3 enterprise tokens" in out
    again = run([*args, *small, "--reuse"], {})  # on the same data, new tokens, nothing regenerated
    assert "generating" not in again and "lowest ratio" in again
