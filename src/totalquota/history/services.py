"""Writes of the history import: prepare (upload), confirm (post, four eyes), discard.

Preparing checks the whole file (:mod:`totalquota.history.plan`) and keeps a prepared import;
nothing is posted. Confirming posts every step of the plan to the ledger with its original date,
in plan order (the order of the simulation), in one transaction; each posting says in its reason
that it was imported, from which file and by whom, and is linked to the import by a
:class:`~totalquota.history.models.HistoryEntry`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal, require
from totalquota.audit.services import record
from totalquota.history import plan as planning
from totalquota.history import workbook
from totalquota.history.models import HistoryEntry, HistoryImport, ImportStatus
from totalquota.ledger import services as ledger
from totalquota.ledger.models import Account, AccountKind, Posting, SourceType, TransferCode
from totalquota.lib.errors import Conflict, Forbidden, ValidationFailed
from totalquota.registry.models import Enterprise, Pollutant, Zone

MAX_FILE_BYTES = 10 * 1024 * 1024
CLAUSES = {"lot": "RES-1", "allocation": "RES-2", "recovery": "RES-4"}


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _already(file_sha256: str) -> None:
    found = (
        HistoryImport.objects.filter(
            file_sha256=file_sha256, status__in=[ImportStatus.PREPARED, ImportStatus.CONFIRMED]
        )
        .order_by("id")
        .first()
    )
    if found is not None:
        raise Conflict(
            gettext("该文件（SHA-256 {sha}）已由导入批次 H{pk}{state}，不能重复导入").format(
                sha=file_sha256[:12], pk=found.pk, state=found.get_status_display()
            )
        )


@transaction.atomic
def history_prepare(*, actor: Principal, file_name: str, content: bytes) -> HistoryImport:
    """Check an uploaded template as a whole and keep it as a prepared import (nothing posted).

    Refused (nothing kept) with :class:`ValidationFailed` carrying one entry per problem (sheet,
    row, column, value, message in Chinese and English) if any row is bad or the file would leave
    a lot below zero on any past day; with :class:`Conflict` if the same file is prepared or
    imported already."""
    require(actor, "history.import")
    if not content:
        raise ValidationFailed(gettext("文件是空的"), field="file")
    if len(content) > MAX_FILE_BYTES:
        raise ValidationFailed(gettext("文件过大：最多 10 MB"), field="file")
    file_sha256 = _sha256(content)
    _already(file_sha256)
    checked = planning.check(workbook.read(content))
    if checked.problems:
        raise ValidationFailed(
            gettext("文件有 {n} 处问题，整个文件不予导入，请按错误清单修改后重新上传").format(
                n=len(checked.problems)
            ),
            errors=checked.problems,
        )
    steps = checked.plan["steps"]
    kinds = [s["kind"] for s in steps]
    history = HistoryImport(
        file_name=(file_name or "upload.xlsx")[:255],
        file_sha256=file_sha256,
        file_size=len(content),
        plan=checked.plan,
        report=checked.report,
        timeline=checked.timeline,
        lot_rows=kinds.count("lot"),
        allocation_rows=kinds.count("allocation"),
        recovery_rows=kinds.count("recovery"),
        first_day=checked.days[0],
        last_day=checked.days[1],
        prepared_by=actor.user,
    )
    try:
        with transaction.atomic():
            history.save()
    except IntegrityError:  # the same file prepared by someone else a moment ago
        _already(file_sha256)
        raise
    record(
        actor=actor,
        action="history.prepare",
        obj=history,
        after={"file": history.file_name, "sha256": file_sha256, "rows": history.rows},
    )
    return history


def _lock(history: HistoryImport) -> HistoryImport:
    # Lock order step 1: the import's own row, so one decision on it runs at a time.
    return HistoryImport.objects.select_for_update().select_related("prepared_by").get(pk=history.pk)


@transaction.atomic
def history_discard(*, actor: Principal, history: HistoryImport) -> HistoryImport:
    """Give up a prepared import (its preparer or another administrator); nothing was posted."""
    require(actor, "history.import")
    history = _lock(history)
    if history.status != ImportStatus.PREPARED:
        raise Conflict(gettext("该导入已{state}，不能放弃").format(state=history.get_status_display()))
    history.status = ImportStatus.DISCARDED
    history.decided_by = actor.user
    history.decided_at = timezone.now()
    history.save(update_fields=["status", "decided_by", "decided_at"])
    record(actor=actor, action="history.discard", obj=history, after={"status": history.status})
    return history


def _reason(history: HistoryImport, step: dict[str, Any], actor: Principal) -> str:
    sheet = {"lot": workbook.LOTS, "allocation": workbook.ALLOCATIONS, "recovery": workbook.RECOVERIES}
    return (
        f"历史数据导入 H{history.pk}：{history.file_name[:120]}（SHA-256 {history.file_sha256}）"
        f"“{sheet[step['kind']].title}”第 {step['row']} 行；"
        f"经办 {history.prepared_by.get_username()}，复核 {actor.user.get_username()}"
    )


@transaction.atomic
def history_confirm(*, actor: Principal, history: HistoryImport) -> HistoryImport:
    """Another bureau administrator confirms: every step is posted with its original date.

    Four eyes: the preparer is refused (403). Every check runs before the first posting: the
    import is still prepared, no row was imported meanwhile (by row key), every zone, pollutant
    and unit still exists. The ledger checks every draw again as it posts (in date order, so
    each lot's balance at posting time is the simulated one)."""
    require(actor, "history.import")
    history = _lock(history)
    if history.status != ImportStatus.PREPARED:
        raise Conflict(gettext("该导入已{state}，不能确认").format(state=history.get_status_display()))
    if history.prepared_by_id == actor.user_id:
        raise Forbidden(gettext("四眼原则：上传该文件的管理员不能确认导入，请由另一名管理员复核"))
    steps: list[dict[str, Any]] = history.plan["steps"]
    taken = list(
        HistoryEntry.objects.filter(row_key__in=[s["key"] for s in steps]).values_list("row_key", flat=True)
    )
    if taken:
        raise Conflict(gettext("文件中有 {n} 行已由其他导入批次导入，请重新上传检查").format(n=len(taken)))
    zones = Zone.objects.in_bulk({s["zone"] for s in steps if "zone" in s})
    pollutants = Pollutant.objects.in_bulk({s["pollutant"] for s in steps if "pollutant" in s})
    enterprises = Enterprise.objects.in_bulk({s["enterprise"] for s in steps if "enterprise" in s})
    by_ref = {s["ref"]: s for s in steps if s["kind"] == "allocation"}
    for s in steps:
        if s["kind"] == "allocation":
            unit = enterprises.get(s["enterprise"])
            if unit is None or unit.zone_id != s["zone"]:
                raise Conflict(gettext("第 {row} 行的排污单位已变更，请重新上传检查").format(row=s["row"]))
    # Lock order step 2: every zone x pollutant row the postings touch, up front, sorted.
    ledger.lock_zones({(s["zone"], s["pollutant"]) for s in steps if "zone" in s})
    lots: dict[str, Account] = {}
    allocation_accounts: dict[str, Account] = {}
    allocation_postings: dict[str, Posting] = {}
    prefix = f"history-{history.file_sha256}"
    for s in steps:
        day = dt.date.fromisoformat(s["day"])
        reason = _reason(history, s, actor)
        key = f"{prefix}-{s['kind']}-{s['row']}"
        if s["kind"] == "lot":
            posting = ledger.lot_open(
                actor=actor,
                zone=zones[s["zone"]],
                pollutant=pollutants[s["pollutant"]],
                amount_grams=s["grams"],
                source_type=SourceType.REDUCTION_LINE,
                source_ref=f"history:{s['source_code']}"[:100],
                source_label=(s["source_label"] or s["source_code"])[:300],
                label=f"{s['source_code']}（历史导入 H{history.pk}）"[:200],
                effective_date=day,
                reason=reason,
                clause_id=CLAUSES["lot"],
                code=TransferCode.INTAKE,
                obj=history,
                idempotency_key=key,
            )
            lots[s["ref"]] = posting.transfers.get().credit
        elif s["kind"] == "allocation":
            zone, pollutant = zones[s["zone"]], pollutants[s["pollutant"]]
            account = ledger.account_open(
                actor=actor,
                zone=zone,
                pollutant=pollutant,
                kind=AccountKind.ALLOCATION,
                opened_on=day,
                holder_enterprise=enterprises[s["enterprise"]],
                source_ref=f"history:H{history.pk}:{s['ref']}"[:100],
                source_label=gettext("历史数据导入"),
                label=(
                    f"{s['project_name']}（{s['project_code']}）" if s["project_code"] else s["project_name"]
                )[:200],
            )
            posting = ledger.draw(
                actor=actor,
                zone=zone,
                pollutant=pollutant,
                amount_grams=s["grams"],
                to_account=account,
                effective_date=day,
                reason=reason,
                clause_id=CLAUSES["allocation"],
                code=TransferCode.ALLOCATION,
                obj=history,
                idempotency_key=key,
                lots=[(lots[ref], grams) for ref, grams in s["draws"]],
            )
            allocation_accounts[s["ref"]] = account
            allocation_postings[s["ref"]] = posting
        else:
            allocation = by_ref[s["allocation"]]
            if s["ground"] == "1":
                posting = ledger.reverse(
                    actor=actor,
                    posting=allocation_postings[s["allocation"]],
                    reason=f"{reason}；项目不再建设：{s['reason']}"[:500],
                    idempotency_key=key,
                    effective_date=day,
                    clause_id=CLAUSES["recovery"],
                )
            else:
                account = allocation_accounts[s["allocation"]]
                posting = ledger.lot_open(
                    actor=actor,
                    zone=zones[allocation["zone"]],
                    pollutant=pollutants[allocation["pollutant"]],
                    amount_grams=s["grams"],
                    source_type=SourceType.RECOVERY,
                    source_ref=f"ledger.account:{account.pk}",
                    source_label=f"{allocation['project_name']} 指标收回（历史导入 H{history.pk}）"[:300],
                    funding_account=account,
                    effective_date=day,
                    reason=f"{reason}；{planning.GROUND_LABELS[s['ground']]}：{s['reason']}"[:500],
                    clause_id=CLAUSES["recovery"],
                    code=TransferCode.RECOVERY,
                    obj=history,
                    idempotency_key=key,
                )
                lots[s["lot"]] = posting.transfers.get().credit
        HistoryEntry.objects.create(
            history_import=history, posting=posting, sheet=s["kind"], row=s["row"], row_key=s["key"][:200]
        )
    history.status = ImportStatus.CONFIRMED
    history.decided_by = actor.user
    history.decided_at = timezone.now()
    history.save(update_fields=["status", "decided_by", "decided_at"])
    record(
        actor=actor,
        action="history.confirm",
        obj=history,
        after={"status": history.status, "postings": len(steps), "sha256": history.file_sha256},
    )
    return history
