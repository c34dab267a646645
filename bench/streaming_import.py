"""Importing 10,000 rows of another source as the background job, against openpyxl merely reading them.

    python -m bench.streaming_import                  # 10,000 and 5,000 rows, SQLite (the embedded default)
    python -m bench.streaming_import --db postgres
    python -m bench.streaming_import --rows 2000      # a smaller run
    python -m bench.streaming_import --profile        # and where one run of the job spends its time

Generates (openpyxl write-only) the bureau's file of environmental statistics (环境统计) in the
import template's columns: 统一社会信用代码, 年度, 污染物, 排放量, 单位, 接管量; units of the register ×
2 pollutants (COD with its sewer quantity, NOx), figures with up to six decimals, as Excel stores
them (numbers). The units are created in the bench database first. Then, in the same run on the
same file:

- **reference**: openpyxl in read-only mode merely iterating the rows (``values_only``), nothing
  else;
- **job**: the real kind ``emissions.source_import`` as the page and the API start it
  (``services.review.source_import_start``: the batch's fields checked, the upload's size and
  untrusted-workbook checks, its header row, the file kept under its digest, the job queued) and
  run as the worker runs it (``jobs.runner.run``): claimed, the stored file streamed by
  ``JobContext.rows`` (read-only openpyxl, exact number text, progress written every half
  second), every row checked by ``source_rows_check`` (credit code, year, pollutant, unit,
  quantity and sewer quantity through ``lib.units.parse_quantity``, duplicates), then the batch,
  its figures (``bulk_create`` in batches of 1,000), the re-check of the year's reports, the audit
  event and the job's "done" in one transaction.

Prints rows/s for both and their ratio (goal: at least 0.3), and the peak memory of each
(tracemalloc, measured in separate runs so that tracing does not slow the timed ones; and the
process's maximum resident set), for the full file and for half of it, so that growth with the
number of rows shows. Uses its own database (``bench_streaming`` on the local server or a file in
/tmp, see bench/_setup.py), recreated on every run.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import io
import pstats
import random
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

from bench._setup import recreate, start_django, table

DB_NAME = "bench_streaming"
HEADERS = ["统一社会信用代码", "年度", "污染物", "排放量", "单位", "接管量"]
POLLUTANTS = ("COD", "NOX")  # a water pollutant (with its sewer quantity) and an air pollutant


def generate(
    path: Path, codes: list[str], rows: int, year: int, *, write_only: bool = False, seed: int = 7
) -> None:
    """The statistics file: ``rows`` rows, each unit of ``codes`` with both pollutants. Saved as
    Excel and WPS save a workbook, with the sheet's dimension (``<dimension ref="A1:F10001"/>``)
    ahead of its rows; ``write_only`` saves it as openpyxl's write-only mode does, without one, so
    that a reader (openpyxl's read-only mode included) must parse the whole sheet to learn its size.
    """
    from openpyxl import Workbook

    rng = random.Random(seed)
    wb = Workbook(write_only=write_only)
    ws = wb.create_sheet("外部来源数据") if write_only else wb.active
    ws.title = "外部来源数据"
    ws.append(HEADERS)
    n = 0
    for code in codes:
        for pollutant in POLLUTANTS:
            if n == rows:
                break
            grams = rng.randint(1_000, 90_000_000)
            sewer = grams + rng.randint(0, 50_000_000) if pollutant == "COD" else None
            ws.append(
                [
                    code,
                    year,
                    pollutant,
                    grams / 1_000_000,
                    "t/a",
                    None if sewer is None else sewer / 1_000_000,
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


def run_job(path: Path, actor, year: int) -> tuple[float, float, int]:
    """Start the file as the page does and run the job as the worker does; (seconds to start,
    seconds in all, figures written)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from totalquota.emissions.models import SourceFigure, SourceImport
    from totalquota.emissions.services import review
    from totalquota.jobs import runner
    from totalquota.jobs.models import Job

    SourceFigure.objects.all().delete()
    SourceImport.objects.all().delete()
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    start = time.perf_counter()
    job = review.source_import_start(
        actor=actor,
        kind="statistics",
        year=year,
        source=f"{year} 年环境统计年报（基准）",
        source_date=dt.date(year + 1, 3, 31),
        upload=upload,
    )
    started = time.perf_counter()
    outcome = runner.run(job.pk)
    elapsed = time.perf_counter() - start
    job = Job.objects.get(pk=job.pk)
    assert outcome == "done", (outcome, job.message, (job.result.get("errors") or [])[:3])
    assert SourceImport.objects.get().pk == job.result["batch_id"]
    return started - start, elapsed, SourceFigure.objects.count()


def traced(func) -> tuple[float, float]:
    """(peak MB traced by tracemalloc, maximum resident set in MB so far) over ``func()``."""
    gc.collect()
    tracemalloc.start()
    func()
    _now, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def profile(path: Path, actor, year: int, lines: int = 25) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    run_job(path, actor, year)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(lines)
    stats.sort_stats("tottime").print_stats(lines)
    return out.getvalue()


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="sqlite")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each; the best is kept")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one job run")
    parser.add_argument(
        "--write-only",
        action="store_true",
        help="generate the file as openpyxl's write-only mode does (no sheet dimension), not as Excel does",
    )
    args = parser.parse_args(argv)
    if args.rows < 2 or args.rows % 2:
        parser.error("--rows: an even number, two rows (pollutants) per unit")
    start_django(recreate(args.db, DB_NAME))
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from totalquota.accounts.models import User
    from totalquota.accounts.roles import Role
    from totalquota.lib import uscc
    from totalquota.registry.models import Enterprise, Park, Zone

    reviewer = User.objects.create(username="bench-reviewer", role=Role.REVIEWER)
    actor = reviewer.principal
    park = Park.objects.get_or_create(code="SIP", defaults={"name": "苏州工业园区"})[0]
    zone = Zone.objects.create(park=park, code="Z1", name="基准功能区", sort_order=1)
    codes = [uscc.complete(f"91320594MB{i:07d}") for i in range(args.rows // len(POLLUTANTS))]
    Enterprise.objects.bulk_create(
        [
            Enterprise(name=f"基准单位{i}有限公司", uscc=c, permit_number=f"{c}001V", zone=zone)
            for i, c in enumerate(codes)
        ],
        batch_size=1_000,
    )
    year = timezone.localdate().year - 1

    folder = Path(tempfile.mkdtemp(prefix="bench-streaming-"))
    settings.MEDIA_ROOT = folder / "media"
    full, half = folder / "statistics.xlsx", folder / "statistics-half.xlsx"
    generate(full, codes, args.rows, year, write_only=args.write_only)
    generate(half, codes, args.rows // 2, year, write_only=args.write_only)

    sizes = (("half", half, args.rows // 2), ("full", full, args.rows))
    timings = {}
    for label, path, rows in sizes:
        assert read_only(path) == rows
        reference_runs, job_runs = [], []
        for _ in range(args.repeat):  # alternating, so that the machine's load weighs on both alike
            reference_runs.append(_timed(lambda p=path: read_only(p)))
            job_runs.append(run_job(path, actor, year))
        assert all(written == rows for _start, _s, written in job_runs)
        start_s, job_s, _written = min(job_runs, key=lambda r: r[1])
        timings[label] = (rows, min(reference_runs), job_s, start_s)

    # Memory, the smaller file first: the maximum resident set only ever grows, so what the larger
    # file adds to it shows.
    traced(lambda: run_job(half, actor, year))  # a first traced run, not kept: lazy imports and caches
    memory = []
    for label, path, rows in sizes:
        ref_peak, ref_rss = traced(lambda p=path: read_only(p))
        job_peak, job_rss = traced(lambda p=path: run_job(p, actor, year))
        memory.append((label, rows, ref_peak, job_peak, ref_rss, job_rss))

    saved = "write-only, no dimension" if args.write_only else "saved as Excel does, with its dimension"
    print(
        f"{args.rows} rows, {full.stat().st_size / 1e6:.2f} MB XLSX ({saved}), {args.db}, "
        f"kind emissions.source_import, best of {args.repeat}"
    )
    lines = []
    for label, (rows, reference_s, job_s, start_s) in timings.items():
        lines += [
            (
                label,
                rows,
                "reference: openpyxl read-only, iterate",
                f"{reference_s:.2f}",
                f"{rows / reference_s:,.0f}",
                "1.00",
            ),
            (
                label,
                rows,
                "job: stream, check, write, done",
                f"{job_s:.2f}",
                f"{rows / job_s:,.0f}",
                f"{reference_s / job_s:.2f}",
            ),
            (label, rows, "  of which starting it (checks, keep)", f"{start_s:.2f}", "", ""),
        ]
    print(table(lines, ("file", "rows", "run", "seconds", "rows/s", "ratio")))
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
    rows, reference_s, job_s, _start_s = timings["full"]
    ratio = reference_s / job_s
    print(f"\nratio job / reference ({rows} rows): {ratio:.2f} (goal >= 0.3)")
    if args.profile:
        print()
        print(profile(full, actor, year))
    return {"ratio": ratio, "timings": timings, "memory": memory}


def _timed(func) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
