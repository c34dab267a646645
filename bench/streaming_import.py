"""Importing a 10,000-row report file as a background job, against openpyxl merely reading it.

    python -m bench.streaming_import                  # 10,000 rows, SQLite (the embedded default)
    python -m bench.streaming_import --db postgres
    python -m bench.streaming_import --rows 2000      # a smaller run

Generates (openpyxl write-only) an XLSX of yearly emission report rows as a unit or the bureau
would upload them: credit code, year, pollutant, permitted, actual and allowed emissions (t/a, up
to six decimals), method and data source; 1,000 units of the register × 5 pollutants × 2 years.
Then, in the same run on the same file:

- **reference**: openpyxl in read-only mode merely iterating the rows (``values_only``), nothing
  else;
- **job**: the file started as a job (``jobs.services.job_start``: the upload checked and kept) and
  run as the worker runs it (``jobs.runner.run``): claimed, read as a stream by ``JobContext.rows``
  (the untrusted-workbook check, read-only openpyxl, exact number text, progress written every
  half second), every row parsed and checked (the unit by its credit code, the pollutant, the year,
  three quantities through ``lib.units.parse_quantity``, the method, the source, duplicates), then
  written in one transaction with the job's "done": 10,000 ``emissions.VerifiedEmission`` rows by
  ``bulk_create`` in batches of 1,000, and an audit event.

Prints rows/s for both and their ratio (goal: at least 0.3), and the peak memory of each
(tracemalloc, measured in a second run so that tracing does not slow the timed one; and the
process's maximum resident set), for the full file and for half of it, so that growth with the
number of rows shows. Uses its own database (``bench_streaming`` on the local server or a file in
/tmp, see bench/_setup.py), recreated on every run.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

from bench._setup import recreate, start_django, table

DB_NAME = "bench_streaming"
KIND = "bench.report_import"
HEADERS = [
    "统一社会信用代码",
    "年度",
    "污染物",
    "许可排放量（t/a）",
    "实际排放量（t/a）",
    "核定排放量（t/a）",
    "核算方法",
    "数据来源",
]
METHODS = ["在线监测", "监督性监测", "自行监测", "物料衡算", "排放系数"]
POLLUTANTS = ["VOCS", "NOX", "SO2", "COD", "NH3N"]
YEARS = (2024, 2025)


def generate(path: Path, codes: list[str], rows: int, seed: int = 7) -> None:
    """The report file: ``rows`` rows over ``codes`` × pollutants × years, figures with up to six
    decimals (numbers, as Excel stores them)."""
    from openpyxl import Workbook

    rng = random.Random(seed)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("排放报告")
    ws.append(HEADERS)
    n = 0
    for year in YEARS:
        for code in codes:
            for pollutant in POLLUTANTS:
                if n == rows:
                    break
                permitted = rng.randint(1_000, 90_000_000)  # grams
                actual = rng.randint(0, permitted)
                allowed = rng.randint(actual, permitted)
                ws.append(
                    [
                        code,
                        year,
                        pollutant,
                        permitted / 1_000_000,
                        actual / 1_000_000,
                        allowed / 1_000_000,
                        METHODS[n % len(METHODS)],
                        f"{year}年度排污许可证执行报告",
                    ]
                )
                n += 1
    wb.save(path)


def read_only(path: Path) -> int:
    """The reference: openpyxl's read-only mode merely iterating the rows."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    count = 0
    for _row in wb.worksheets[0].iter_rows(values_only=True):
        count += 1
    wb.close()
    return count - 1


def run_import(ctx) -> dict:
    """The bench kind: check every row, then write them all in one transaction."""
    from django.utils.translation import gettext

    from totalquota.audit.services import record
    from totalquota.common.xlsx import cell_text
    from totalquota.emissions.models import VerifiedEmission
    from totalquota.lib import uscc
    from totalquota.lib.errors import ValidationFailed
    from totalquota.lib.units import QuantityError, parse_quantity
    from totalquota.registry.models import Enterprise, Pollutant

    units = dict(Enterprise.objects.filter(is_active=True).values_list("uscc", "id"))
    pollutants = {p.code: p for p in Pollutant.objects.all()}
    pollutants.update({p.name: p for p in list(pollutants.values())})
    methods = set(METHODS)
    problems: list[dict] = []
    checked: list[tuple[int, int, int, int, str]] = []
    seen: set[tuple[int, int, int]] = set()

    def problem(number: int, column: str, value: object, message: str) -> None:
        problems.append(
            {
                "row": number,
                "column": column,
                "value": "" if value is None else str(value),
                "message": message,
            }
        )

    for number, row in ctx.rows(headers=HEADERS, max_rows=50_000):
        code = uscc.normalize(cell_text(row["统一社会信用代码"]))
        enterprise_id = units.get(code)
        if enterprise_id is None:
            try:
                uscc.validate(code)
                problem(number, "统一社会信用代码", code, "名录中没有该单位")
            except uscc.USCCError as exc:
                problem(number, "统一社会信用代码", code, str(exc))
        year_text = cell_text(row["年度"])
        year = int(year_text) if year_text.isdigit() else 0
        if not 2000 <= year <= 2100:
            problem(number, "年度", year_text, "年度应为四位数字")
        pollutant = pollutants.get(cell_text(row["污染物"]).upper()) or pollutants.get(
            cell_text(row["污染物"])
        )
        if pollutant is None:
            problem(number, "污染物", row["污染物"], "不是总量管控因子")
            continue
        figures = []
        for column in ("许可排放量（t/a）", "实际排放量（t/a）", "核定排放量（t/a）"):
            try:
                figures.append(parse_quantity(row[column], pollutant.unit))
            except QuantityError as exc:
                problem(number, column, row[column], exc.message)
        if row["核算方法"] not in methods:
            problem(number, "核算方法", row["核算方法"], "核算方法不正确")
        source = cell_text(row["数据来源"])
        if not source or len(source) > 300:
            problem(number, "数据来源", source, "请填写数据来源（300 字以内）")
        key = (enterprise_id or 0, pollutant.pk, year)
        if key in seen:
            problem(number, "污染物", row["污染物"], "同一单位、污染物和年度重复")
        seen.add(key)
        if len(figures) == 3 and enterprise_id is not None:
            checked.append((enterprise_id, pollutant.pk, year, figures[1], source))
    if problems:
        raise ValidationFailed(
            gettext("导入被拒绝：{n} 处错误，未写入任何数据").format(n=len(problems)), errors=problems
        )

    def write() -> dict:
        user = ctx.principal.user
        for start in range(0, len(checked), 1000):
            VerifiedEmission.objects.bulk_create(
                [
                    VerifiedEmission(
                        enterprise_id=e,
                        pollutant_id=p,
                        year=y,
                        actual_grams=grams,
                        source=s,
                        recorded_by=user,
                    )
                    for e, p, y, grams, s in checked[start : start + 1000]
                ]
            )
        record(
            actor=ctx.principal,
            action="bench.report_import",
            object_type="jobs.job",
            object_id=ctx.job.pk,
            after={"rows": len(checked)},
        )
        return {"summary": f"{len(checked)} rows", "counts": {"rows": len(checked)}}

    return ctx.commit(write)


def run_job(path: Path, admin) -> tuple[float, int]:
    """Start the file as a job and run it as the worker does; (seconds, rows written)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from totalquota.emissions.models import VerifiedEmission
    from totalquota.jobs import runner, services

    VerifiedEmission.objects.all().delete()
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    start = time.perf_counter()
    job = services.job_start(actor=admin.principal, kind=KIND, upload=upload)
    outcome = runner.run(job.pk)
    elapsed = time.perf_counter() - start
    job.refresh_from_db()
    assert outcome == "done", (outcome, job.message, job.result.get("errors", [])[:3])
    return elapsed, VerifiedEmission.objects.count()


def traced(func) -> tuple[float, int]:
    """(peak MB traced by tracemalloc, maximum resident set in MB so far) over ``func()``."""
    gc.collect()
    tracemalloc.start()
    func()
    _now, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="sqlite")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each; the best is kept")
    args = parser.parse_args(argv)
    start_django(recreate(args.db, DB_NAME))
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from totalquota.accounts.models import User
    from totalquota.accounts.roles import Role
    from totalquota.jobs import kinds
    from totalquota.lib import uscc
    from totalquota.registry.models import Enterprise, Park, Zone

    admin = User.objects.create(username="bench-runner", role=Role.ADMIN)
    park = Park.objects.get_or_create(code="SIP", defaults={"name": "苏州工业园区"})[0]
    zone = Zone.objects.create(park=park, code="Z1", name="基准功能区", sort_order=1)
    count = -(-args.rows // (len(POLLUTANTS) * len(YEARS)))
    codes = [uscc.complete(f"91320594MB{i:07d}") for i in range(count)]
    Enterprise.objects.bulk_create(
        [
            Enterprise(name=f"基准单位{i}有限公司", uscc=c, permit_number=f"{c}001V", zone=zone)
            for i, c in enumerate(codes)
        ]
    )
    kinds.register(
        KIND, "排放报告导入（基准）", run=run_import, permission="registry.view", accepts=("xlsx",)
    )

    folder = Path(tempfile.mkdtemp(prefix="bench-streaming-"))
    from django.conf import settings

    settings.MEDIA_ROOT = folder / "media"
    full, half = folder / "reports.xlsx", folder / "reports-half.xlsx"
    generate(full, codes, args.rows)
    generate(half, codes, args.rows // 2)

    reference_s = min(_timed(lambda: read_only(full)) for _ in range(args.repeat))
    assert read_only(full) == args.rows
    job_runs = [run_job(full, admin) for _ in range(args.repeat)]
    job_s = min(seconds for seconds, _rows in job_runs)
    assert all(written == args.rows for _s, written in job_runs)
    reference_rate, job_rate = args.rows / reference_s, args.rows / job_s

    memory = []
    for label, path, rows in (("full", full, args.rows), ("half", half, args.rows // 2)):
        ref_peak, ref_rss = traced(lambda p=path: read_only(p))
        job_peak, job_rss = traced(lambda p=path: run_job(p, admin))
        memory.append((label, rows, ref_peak, job_peak, ref_rss, job_rss))

    print(f"{args.rows} rows, {full.stat().st_size / 1e6:.2f} MB XLSX, {args.db}")
    print(
        table(
            [
                (
                    "reference: openpyxl read-only, iterate",
                    f"{reference_s:.2f}",
                    f"{reference_rate:,.0f}",
                    "1.00",
                ),
                (
                    "job: stream, check, write, done",
                    f"{job_s:.2f}",
                    f"{job_rate:,.0f}",
                    f"{job_rate / reference_rate:.2f}",
                ),
            ],
            ("run", "seconds", "rows/s", "ratio"),
        )
    )
    print()
    print(
        table(
            [
                (label, rows, f"{rp:.1f}", f"{jp:.1f}", f"{rr:.0f}", f"{jr:.0f}")
                for label, rows, rp, jp, rr, jr in memory
            ],
            ("file", "rows", "reference peak MB", "job peak MB", "max RSS MB after ref", "after job"),
        )
    )
    ratio = job_rate / reference_rate
    print(f"\nratio job / reference: {ratio:.2f} (goal >= 0.3)")
    return {"ratio": ratio, "reference_rate": reference_rate, "job_rate": job_rate, "memory": memory}


def _timed(func) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
