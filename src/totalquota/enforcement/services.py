"""Writes of enforcement (SUP-4): registering a finding and its evidence, and each stage of its
workflow through the kernel (``enforcement.workflow.FINDING_ACTIONS``).

Every input is checked before the first write; a refusal leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal, can_access_object, may, require, zone_allowed
from totalquota.audit.services import record, snapshot
from totalquota.common.codes import record_code, reserve_id
from totalquota.emissions.models import OVER_EMISSION, ConsistencyFlag, FlagStatus
from totalquota.enforcement import workflow
from totalquota.enforcement.amounts import check_fen
from totalquota.enforcement.files import add_file, check_files
from totalquota.enforcement.models import (
    FLAG_SOURCES,
    OPEN_STATUSES,
    FileKind,
    Finding,
    FindingFile,
    FindingSource,
    FindingStatus,
    Severity,
)
from totalquota.lib.errors import Conflict, Forbidden, ValidationFailed
from totalquota.registry.models import Enterprise, Pollutant
from totalquota.workflow.kernel import create_transition, perform

FINDING_FIELDS = [
    "code",
    "enterprise",
    "zone",
    "year",
    "pollutant",
    "source",
    "flag",
    "event_reference",
    "inspection_date",
    "inspectors",
    "facts",
    "status",
]
CODE_PREFIX = "JD"


def _text(value: Any, *, field: str, label: str, limit: int, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationFailed(gettext("请填写{label}").format(label=label), field=field, clause="SUP-4")
    if len(text) > limit:
        raise ValidationFailed(
            gettext("{label}不能超过 {n} 个字符").format(label=label, n=limit), field=field, clause="SUP-4"
        )
    return text


def _check_year(year: Any, today: dt.date) -> int:
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= today.year:
        raise ValidationFailed(
            gettext("年度应在 2000 至 {y} 之间").format(y=today.year), field="year", clause="SUP-4"
        )
    return year


@transaction.atomic
def finding_create(
    *,
    actor: Principal,
    source: str,
    facts: str,
    enterprise: Enterprise | None = None,
    year: int | None = None,
    pollutant: Pollutant | None = None,
    flag: ConsistencyFlag | None = None,
    event_reference: str = "",
    inspection_date: dt.date | None = None,
    inspectors: str = "",
    files: list[Any] | None = None,
    today: dt.date | None = None,
) -> Finding:
    """Register a finding (SUP-4) in ``draft``. From a flag of the emission library the unit, zone,
    year and pollutant are the flag's, and the source follows its kind (over-emission or
    consistency); from an enforcement event its reference number is required, from an inspection
    its date and inspectors. Zone officers register findings of their own zone only; evidence
    ``files`` are checked before anything is written. The enforcement system's violations come
    as events (``enforcement.receive_event``, through the inbound events) and need no other right."""
    if not (source == FindingSource.EVENT and may(actor, "enforcement.receive_event")):
        require(actor, "enforcement.record")
    today = today or timezone.localdate()
    if source not in FindingSource.values:
        raise ValidationFailed(
            gettext("来源应为：") + "、".join(str(s.label) for s in FindingSource),
            field="source",
            clause="SUP-4",
        )
    facts = _text(facts, field="facts", label=gettext("违法事实"), limit=5000)
    inspectors_text = ""
    if source in FLAG_SOURCES:
        if flag is None:
            raise ValidationFailed(gettext("请选择一致性核查提示"), field="flag", clause="SUP-4")
        if not can_access_object(actor, flag, "emissions.view"):
            raise Forbidden(gettext("该一致性核查提示不在您的权限范围内"), clause="SUP-4")
        if flag.status == FlagStatus.SUPERSEDED:
            raise Conflict(gettext("该提示已被新版本取代，不能据此立案"), field="flag", clause="SUP-4")
        source = FindingSource.OVER_EMISSION if flag.kind in OVER_EMISSION else FindingSource.CONSISTENCY
        enterprise, year, pollutant = flag.enterprise, flag.year, flag.pollutant
        inspection_date, event_reference = None, ""
    else:
        flag = None
        if enterprise is None:
            raise ValidationFailed(gettext("请选择排污单位"), field="enterprise", clause="SUP-4")
        year = _check_year(year, today)
        if source == FindingSource.EVENT:
            event_reference = _text(
                event_reference, field="event_reference", label=gettext("执法事件编号"), limit=64
            )
            inspection_date = None
        else:
            if inspection_date is None:
                raise ValidationFailed(gettext("请填写检查日期"), field="inspection_date", clause="SUP-4")
            if inspection_date > today:
                raise ValidationFailed(
                    gettext("检查日期不能晚于今天"), field="inspection_date", clause="SUP-4"
                )
            inspectors_text = _text(inspectors, field="inspectors", label=gettext("检查人员"), limit=200)
    assert enterprise is not None and year is not None
    if not zone_allowed(actor, enterprise.zone_id):
        raise Forbidden(gettext("只能登记本功能区排污单位的发现问题"), clause="SUP-4")
    checked = check_files(list(files or []))
    if flag is not None:
        # Lock the flag's row: two officers registering a finding from one flag at once queue here
        # (lock order step 1 of this write: nothing else is locked before it).
        ConsistencyFlag.objects.select_for_update().filter(pk=flag.pk).first()
        if Finding.objects.filter(flag=flag, status__in=OPEN_STATUSES).exists():
            raise Conflict(gettext("该提示已有办理中的发现问题"), field="flag", clause="SUP-4")
    pk = reserve_id(Finding)
    finding = Finding(
        pk=pk,
        code=record_code(CODE_PREFIX, pk, 5),
        enterprise=enterprise,
        zone_id=enterprise.zone_id,
        year=year,
        pollutant=pollutant,
        source=source,
        flag=flag,
        event_reference=event_reference,
        inspection_date=inspection_date,
        inspectors=inspectors_text,
        facts=facts,
        status=FindingStatus.DRAFT,
        created_by=actor.user,
    )
    finding.save(force_insert=True)
    create_transition(
        workflow.FINDING_ACTIONS, finding, principal=actor, action="create", to=FindingStatus.DRAFT
    )
    for upload, found in checked:
        add_file(finding, FileKind.EVIDENCE, upload, found, actor=actor)
    record(
        actor=actor, action="enforcement.finding_create", obj=finding, after=snapshot(finding, FINDING_FIELDS)
    )
    return finding


@transaction.atomic
def finding_file_add(*, actor: Principal, finding: Finding, upload: Any, kind: str = "") -> FindingFile:
    """Add a file to a finding: the bureau's evidence while the finding is open, or the unit's
    answer material while its notice may still be answered."""
    principal = require(actor, "enforcement.add_file")
    if principal.enterprise_id is not None:
        require(principal, "enforcement.answer")
        kind = FileKind.ANSWER
    else:
        require(principal, "enforcement.record")
        kind = FileKind.EVIDENCE
    if upload is None:
        raise ValidationFailed(gettext("请选择要上传的文件"), field="file")
    [(upload, found)] = check_files([upload])
    # Lock order step 1: the finding's row, so an upload and a stage of the workflow (the answer,
    # a decision) are taken one after the other.
    finding = Finding.objects.select_for_update().get(pk=finding.pk)
    if kind == FileKind.ANSWER:
        if principal.enterprise_id != finding.enterprise_id:
            raise Forbidden(gettext(workflow.OWN_UNIT_ONLY), clause="SUP-4")
        notice = getattr(finding, "notice", None)
        if finding.status != FindingStatus.NOTIFIED or notice is None:
            raise Conflict(gettext("该发现问题不在陈述申辩期内"), clause="SUP-4")
        if timezone.localdate() > notice.answer_due:
            raise Conflict(gettext("陈述申辩期限已过，不能再上传材料"), clause="SUP-4")
    else:
        if principal.zone_ids is not None and finding.zone_id not in principal.zone_ids:
            raise Forbidden(gettext(workflow.OUTSIDE_ZONE), clause="SUP-4")
        if finding.status not in OPEN_STATUSES:
            raise Conflict(gettext("该发现问题已办结，不能再补充证据"), clause="SUP-4")
    return add_file(finding, kind, upload, found, actor=principal)


def finding_notify(
    *, actor: Principal, finding: Finding, text: str = "", today: dt.date | None = None
) -> Finding:
    """Tell the unit; the answer period starts (SUP-4)."""
    return perform(workflow.FINDING_ACTIONS, "notify", principal=actor, obj=finding, reason=text, today=today)  # type: ignore[no-any-return]


def finding_answer(
    *,
    actor: Principal,
    finding: Finding,
    text: str,
    files: list[Any] | None = None,
    today: dt.date | None = None,
) -> Finding:
    """The unit's answer, by its own staff, before the deadline, with optional files."""
    return perform(  # type: ignore[no-any-return]
        workflow.FINDING_ACTIONS,
        "answer",
        principal=actor,
        obj=finding,
        reason=text,
        files=files or [],
        today=today,
    )


def clean_penalty(
    *, decision_number: Any, penalty_fen: Any, legal_basis: Any, severity: Any
) -> dict[str, Any]:
    """The inputs of a penalty proposal, checked (422 on the field), before anything is locked."""
    if severity not in Severity.values:
        raise ValidationFailed(
            gettext("失信程度应为：") + "、".join(str(s.label) for s in Severity),
            field="severity",
            clause="SUP-4",
        )
    return {
        "decision_number": _text(
            decision_number, field="decision_number", label=gettext("处罚决定书文号"), limit=64
        ),
        "penalty_fen": check_fen(penalty_fen),
        "legal_basis": _text(legal_basis, field="legal_basis", label=gettext("法律依据"), limit=2000),
        "severity": str(severity),
    }


def finding_propose(
    *,
    actor: Principal,
    finding: Finding,
    decision_number: str,
    penalty_fen: int,
    legal_basis: str,
    severity: str = Severity.GENERAL,
    note: str = "",
    today: dt.date | None = None,
) -> Finding:
    """An officer prepares the penalty decision; another person confirms it (four eyes)."""
    cleaned = clean_penalty(
        decision_number=decision_number, penalty_fen=penalty_fen, legal_basis=legal_basis, severity=severity
    )
    note = _text(note, field="note", label=gettext("说明"), limit=2000, required=False)
    return perform(  # type: ignore[no-any-return]
        workflow.FINDING_ACTIONS, "propose", principal=actor, obj=finding, reason=note, today=today, **cleaned
    )


def finding_dismiss(*, actor: Principal, finding: Finding, reason: str) -> Finding:
    """An officer proposes not to penalise, with the reason; another person confirms it."""
    return perform(workflow.FINDING_ACTIONS, "dismiss", principal=actor, obj=finding, reason=reason)  # type: ignore[no-any-return]


def finding_confirm(
    *, actor: Principal, finding: Finding, reason: str = "", today: dt.date | None = None
) -> Finding:
    """Another person confirms the pending proposal (a penalty writes the credit entry)."""
    return perform(
        workflow.FINDING_ACTIONS, "confirm", principal=actor, obj=finding, reason=reason, today=today
    )  # type: ignore[no-any-return]


def finding_return(*, actor: Principal, finding: Finding, reason: str) -> Finding:
    """The pending proposal goes back to its preparer, with the reason."""
    return perform(workflow.FINDING_ACTIONS, "return", principal=actor, obj=finding, reason=reason)  # type: ignore[no-any-return]
