"""The annual supervision report (SUP-4) as XLSX on the ten-year ledger (run ``python -m
bench.generate`` first): per zone and per unit, figures as known at a moment and the ledger digest,
then the workbook with its chart.

    python -m bench.supervision_report                 # PostgreSQL
    python -m bench.supervision_report --db sqlite

Target: under 10 s for the park's report of one year (figures + XLSX). Printed beside a reference
measured in the same run: openpyxl writing a plain sheet of the same size as the report's unit
table (the same rows and columns, values only), so machines can be compared.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import time

from bench._setup import database_url, start_django, table

TARGET_S = 10.0


def main(argv: list[str] | None = None) -> list[tuple]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--year", type=int, default=2025)
    args = parser.parse_args(argv)
    start_django(database_url(args.db))
    from django.utils import timezone
    from openpyxl import Workbook

    from totalquota.accounts.models import User
    from totalquota.accounts.roles import Role
    from totalquota.documents.models import IssuedDocument
    from totalquota.ledger.models import Transfer
    from totalquota.registry.models import Enterprise
    from totalquota.reports import bulletins
    from totalquota.reports.bulletins_render import bulletin_xlsx
    from totalquota.reports.models import BulletinSeries

    transfers = Transfer.objects.count()
    if transfers == 0:
        raise SystemExit("the benchmark database is empty: run python -m bench.generate first")
    user = User.objects.filter(role=Role.REVIEWER).first() or User.objects.create(
        username="bench-reviewer", role=Role.REVIEWER
    )
    series = BulletinSeries(
        kind="supervision", zone=None, start=dt.date(args.year, 1, 1), end=dt.date(args.year, 12, 31)
    )
    known_at = bulletins.known_at_for()

    start = time.perf_counter()
    digest = bulletins.ledger_digest(None, series.end, known_at)
    digest_s = time.perf_counter() - start

    start = time.perf_counter()
    figures = bulletins.bulletin_figures(series, known_at=known_at, user=user)
    figures_s = time.perf_counter() - start
    assert figures["basis"]["ledger_digest"] == digest
    document = IssuedDocument(
        code=f"苏园环通〔{timezone.localdate().year}〕1号",
        version=1,
        figures=figures,
        verification_code="b" * 32,
        issued_on=timezone.localdate(),
    )
    start = time.perf_counter()
    content = bulletin_xlsx(document, "http://127.0.0.1:8000/verify/" + "b" * 32 + "/")
    xlsx_s = time.perf_counter() - start

    units = next(t for t in figures["tables"] if t["key"] == "units")
    n_rows, n_cols = len(units["rows"]), len(units["headers"])
    start = time.perf_counter()
    wb = Workbook()
    ws = wb.active
    for r in range(n_rows):
        ws.append([f"v{r}-{c}" if c < 5 else r * 1000 + c for c in range(n_cols)])
    wb.save(io.BytesIO())
    reference_s = time.perf_counter() - start

    total = figures_s + xlsx_s
    rows = [
        ("reference: openpyxl, a plain sheet of the same size", f"{reference_s:.2f}", "1.0", ""),
        ("ledger digest alone (part of the figures)", f"{digest_s:.2f}", f"{digest_s / reference_s:.1f}", ""),
        ("figures as known at (digest included)", f"{figures_s:.2f}", f"{figures_s / reference_s:.1f}", ""),
        ("XLSX with its chart", f"{xlsx_s:.2f}", f"{xlsx_s / reference_s:.1f}", ""),
        (
            "annual supervision report, figures + XLSX",
            f"{total:.2f}",
            f"{total / reference_s:.1f}",
            f"< {TARGET_S:.0f} s",
        ),
    ]
    print(
        f"{transfers:,} transfers, {Enterprise.objects.count():,} units; report of {args.year}: "
        f"{n_rows:,} unit rows × {n_cols} columns, {len(content) / 1024:.0f} KiB"
    )
    print(table(rows, ("what", "seconds", "× reference", "target")))
    print("target met" if total < TARGET_S else "TARGET MISSED")
    return rows


if __name__ == "__main__":
    main()
