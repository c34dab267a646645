"""Writes on the reduction library: declaration, accounting, evidence, review, usage, rounds.

Every function here is the one way to make its change: it checks scope and state, refuses bad
input with a Chinese message citing the clause (nothing written), writes, leaves a transition row
for every status change and records its audit event last, all in one transaction. The topics live
in the modules of this package; this module is the public write API callers outside it use.
"""

from totalquota.reductions.services.bulk import ImportResult, project_import
from totalquota.reductions.services.evidence import (
    evidence_add,
    evidence_delete,
    orphan_evidence_files_delete,
)
from totalquota.reductions.services.fields import (
    FIELD_LABELS,
    PHONE_RE,
    PROJECT_DATE_RANGES,
    PROJECT_FIELDS,
    TEXT_LIMITS,
    YUAN_PER_WAN,
    check_date_range,
    check_deadline_rule,
    clean_project,
    parse_investment,
)
from totalquota.reductions.services.lines import (
    LINE_FIELDS,
    account_line,
    line_delete,
    line_set,
    resolve_factor,
)
from totalquota.reductions.services.projects import (
    project_create,
    project_suggest,
    project_update,
)
from totalquota.reductions.services.rounds import (
    FACTOR_FIELDS,
    ROUND_DATE_LABELS,
    ROUND_FIELDS,
    check_round_dates,
    factor_create,
    factor_retire,
    round_create,
    round_open_next,
)
from totalquota.reductions.services.usage import usage_cancel, usage_mark
from totalquota.reductions.services.workflow import (
    opinion_add,
    project_accept_late,
    project_adopt,
    project_approve,
    project_decline,
    project_handover,
    project_reject,
    project_return,
    project_send_back,
    project_submit,
)

__all__ = [
    "FACTOR_FIELDS",
    "FIELD_LABELS",
    "LINE_FIELDS",
    "PHONE_RE",
    "PROJECT_DATE_RANGES",
    "PROJECT_FIELDS",
    "ROUND_DATE_LABELS",
    "ROUND_FIELDS",
    "TEXT_LIMITS",
    "YUAN_PER_WAN",
    "ImportResult",
    "account_line",
    "check_date_range",
    "check_deadline_rule",
    "check_round_dates",
    "clean_project",
    "evidence_add",
    "evidence_delete",
    "factor_create",
    "factor_retire",
    "line_delete",
    "line_set",
    "opinion_add",
    "orphan_evidence_files_delete",
    "parse_investment",
    "project_accept_late",
    "project_adopt",
    "project_approve",
    "project_create",
    "project_decline",
    "project_handover",
    "project_import",
    "project_reject",
    "project_return",
    "project_send_back",
    "project_submit",
    "project_suggest",
    "project_update",
    "resolve_factor",
    "round_create",
    "round_open_next",
    "usage_cancel",
    "usage_mark",
]
