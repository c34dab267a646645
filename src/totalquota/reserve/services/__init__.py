"""Writes of the quota reserve. Every gram moves through ``ledger.services``; these functions decide
what moves, record why (rule snapshots, clauses) and keep the business records in step.

By topic: ``applications`` (drafts and the workflow actions, whose domain work is in
``reserve.workflow``), ``documents`` (the basis and balance plan a review reads, RES-2),
``intake`` (RES-1), ``upper`` (the upper-level reserve, RES-2) and ``recovery`` (RES-4); ``holds`` the locks and holds they share. The rules themselves are pure
decisions in ``reserve.decisions``, re-exported here for callers outside the app.
"""

from totalquota.reserve.decisions import (
    LINE_FIELDS,
    Candidate,
    LineDecision,
    attainment_for,
    ceil_grams,
    check_line_figures,
    decide_line,
    floor_grams,
    line_hold_state,
    recovery_candidate,
)
from totalquota.reserve.services.adjustments import (
    adjustment_confirm,
    adjustment_correction,
    adjustment_reject,
    adjustment_upper_deduction,
    adjustment_withdraw,
    adjustment_zone_transfer,
)
from totalquota.reserve.services.applications import (
    application_approve,
    application_create,
    application_mark_operating,
    application_propose,
    application_rehold,
    application_reject,
    application_submit,
    application_update,
    application_withdraw,
)
from totalquota.reserve.services.documents import document_add, document_delete
from totalquota.reserve.services.intake import (
    EXCLUSION_OF_USAGE,
    check_intake_period,
    intake_cancel,
    intake_confirm,
    intake_exclude,
    intake_prepare,
    line_in_reserve,
    quarter_period,
)
from totalquota.reserve.services.recovery import (
    attainment_record,
    recovery_answer,
    recovery_approve,
    recovery_notify,
    recovery_propose,
    recovery_reject,
)
from totalquota.reserve.services.upper import upper_deduct, upper_grant, upper_refuse, upper_request
from totalquota.reserve.services.warnings import warnings_check

__all__ = [
    "EXCLUSION_OF_USAGE",
    "LINE_FIELDS",
    "Candidate",
    "LineDecision",
    "adjustment_confirm",
    "adjustment_correction",
    "adjustment_reject",
    "adjustment_upper_deduction",
    "adjustment_withdraw",
    "adjustment_zone_transfer",
    "application_approve",
    "application_create",
    "application_mark_operating",
    "application_propose",
    "application_rehold",
    "application_reject",
    "application_submit",
    "application_update",
    "application_withdraw",
    "attainment_for",
    "attainment_record",
    "ceil_grams",
    "check_intake_period",
    "check_line_figures",
    "decide_line",
    "document_add",
    "document_delete",
    "floor_grams",
    "intake_cancel",
    "intake_confirm",
    "intake_exclude",
    "intake_prepare",
    "line_hold_state",
    "line_in_reserve",
    "quarter_period",
    "recovery_answer",
    "recovery_approve",
    "recovery_candidate",
    "recovery_notify",
    "recovery_propose",
    "recovery_reject",
    "upper_deduct",
    "upper_grant",
    "upper_refuse",
    "upper_request",
    "warnings_check",
]
