"""Every operation a person can do on a page is also an API operation (PLAT-1: other systems are
users too). The test finds the page actions itself: every page whose view writes (a form page, an
import, a one-button post, a workflow action table; see :func:`page_actions`) and, for the workflow
pages, each action of their table. Each must be in :data:`ROUTES` (the API operation that does the
same through the same service), in :data:`PAGE_ONLY` (with why it has no route) or in
:data:`NOT_YET` (a known missing route, with what it waits for). A new page action fails the test
until it is given a route or listed here with its reason."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from tests.access.test_access_walk import api_operations

# What in a view's source says it writes (or takes a posted form): form and import pages, one-button
# posts, class-based forms.
WRITES = (
    "form_page(",
    "import_page(",
    "request.POST",
    "request.FILES",
    "require_POST",
    "post_action(",
    "def post(",
    "form_class",
    "CreateView",
    "UpdateView",
)

R = "/api/v1/reserve"
E = "/api/v1/emissions"
ER = "/api/v1/emission-reports"
F = "/api/v1/enforcement/findings"
P = "/api/v1/reductions/projects"

# page action -> the API operation(s) doing the same. ``page#action`` names one action of a page that
# runs a workflow table (one URL for every action). Names differ where the API speaks of resources.
ROUTES: dict[str, list[tuple[str, str]]] = {
    # --- 账号 accounts: people, lockouts, tokens, deputies, units' accounts
    "accounts:delegation": [("post", "/api/v1/delegation")],
    "accounts:delegation_clear": [("delete", "/api/v1/delegation")],
    "accounts:token_create": [("post", "/api/v1/tokens")],
    "accounts:token_revoke": [("post", "/api/v1/tokens/{token_id}/revoke")],
    "accounts:unit_password_reset": [("post", "/api/v1/unit-accounts/{user_id}/reset-password")],
    "accounts:unit_pending": [("post", "/api/v1/unit-accounts")],
    "accounts:unlock": [("post", "/api/v1/users/unlock")],
    "accounts:user_create": [("post", "/api/v1/users")],
    "accounts:user_detail": [("patch", "/api/v1/users/{user_id}")],
    "accounts:user_set_password": [("post", "/api/v1/users/{user_id}/password")],
    # --- 总量库: a permit execution report, uploaded and mapped in one request
    "emissions:report_execution_upload": [("post", f"{ER}/{{report_id}}/execution")],
    "emissions:report_execution_map": [("post", f"{ER}/{{report_id}}/execution")],
    # --- 通报与签发文件 bulletins and issued documents; jobs; assignment
    "reports:bulletin_reissue": [("post", "/api/v1/supervision/bulletins/{bulletin_id}/reissue")],
    "reports:bulletin_revoke": [("post", "/api/v1/supervision/bulletins/{bulletin_id}/revoke")],
    "reports:document_publish": [("post", "/api/v1/documents/{document_id}/publish")],
    "jobs:rerun": [("post", "/api/v1/jobs/{job_id}/rerun")],
    "workflow:assign": [
        ("post", "/api/v1/workflow/{kind}/{object_id}/assignment"),
        ("delete", "/api/v1/workflow/{kind}/{object_id}/assignment"),
    ],
    # --- 指标台账 ledger
    "reserve:adjustment_zone_transfer": [("post", "/api/v1/ledger/zone-transfers")],
    "reserve:adjustment_correct": [("post", "/api/v1/ledger/postings/{posting_id}/reverse")],
    "ledger:reconcile_run": [("post", "/api/v1/ledger/reconcile")],
    # --- 基础信息 registry: zones, permit limits, the working-day calendar
    "registry:zone_create": [("post", "/api/v1/zones")],
    "registry:zone_edit": [("patch", "/api/v1/zones/{zone_id}")],
    "registry:permit_limit_create": [("post", "/api/v1/enterprises/{enterprise_id}/permit-limits")],
    "registry:permit_limit_import": [("post", "/api/v1/permit-limits/import")],
    "registry:calendar_create": [("post", "/api/v1/calendar")],
    "registry:calendar_delete": [("delete", "/api/v1/calendar/{day_id}")],
    # --- 储备库 reserve
    "reserve:application_create": [("post", f"{R}/applications")],
    "reserve:application_action#rehold": [("post", f"{R}/applications/{{application_id}}/rehold")],
    "reserve:line_plan": [("post", f"{R}/applications/{{application_id}}/rehold")],
    "reserve:application_action#submit": [("post", f"{R}/applications/{{application_id}}/submit")],
    "reserve:application_action#withdraw": [("post", f"{R}/applications/{{application_id}}/withdraw")],
    "reserve:application_action#propose": [("post", f"{R}/applications/{{application_id}}/propose")],
    "reserve:application_action#approve": [("post", f"{R}/applications/{{application_id}}/approve")],
    "reserve:application_action#reject": [("post", f"{R}/applications/{{application_id}}/reject")],
    "reserve:application_operating": [("post", f"{R}/applications/{{application_id}}/operating")],
    "reserve:document_upload": [("post", f"{R}/applications/{{application_id}}/documents")],
    "reserve:document_delete": [("delete", f"{R}/applications/{{application_id}}/documents/{{document_id}}")],
    "reserve:intake_create": [("post", f"{R}/intake-runs")],
    "reserve:intake_confirm": [("post", f"{R}/intake-runs/{{run_id}}/confirm")],
    "reserve:intake_cancel": [("post", f"{R}/intake-runs/{{run_id}}/cancel")],
    "reserve:intake_exclude": [("post", f"{R}/intake-items/{{item_id}}/exclude")],
    "reserve:adjustment_confirm": [("post", f"{R}/adjustments/{{adjustment_id}}/confirm")],
    "reserve:adjustment_reject": [("post", f"{R}/adjustments/{{adjustment_id}}/reject")],
    "reserve:adjustment_withdraw": [("post", f"{R}/adjustments/{{adjustment_id}}/withdraw")],
    "reserve:upper_create": [("post", f"{R}/upper-requests")],
    # One form on the page: a grant, or (ticked) a refusal.
    "reserve:upper_decide": [
        ("post", f"{R}/upper-requests/{{request_id}}/grant"),
        ("post", f"{R}/upper-requests/{{request_id}}/refuse"),
    ],
    "reserve:line_recover": [("post", f"{R}/recoveries")],
    "reserve:recovery_notify": [("post", f"{R}/recoveries/{{case_id}}/notify")],
    "reserve:recovery_answer": [("post", f"{R}/recoveries/{{case_id}}/answer")],
    "reserve:recovery_approve": [("post", f"{R}/recoveries/{{case_id}}/approve")],
    "reserve:recovery_reject": [("post", f"{R}/recoveries/{{case_id}}/reject")],
    "reserve:verified_create": [("post", f"{E}/verified-emissions")],
    "reserve:attainment_create": [("post", f"{R}/attainment")],
    # --- 减排库 reductions
    "reductions:project_create": [("post", P)],
    "reductions:project_edit": [("patch", f"{P}/{{project_id}}")],
    "reductions:line_edit": [("put", f"{P}/{{project_id}}/lines/{{pollutant}}")],
    "reductions:line_delete": [("delete", f"{P}/{{project_id}}/lines/{{pollutant}}")],
    "reductions:evidence_upload": [("post", f"{P}/{{project_id}}/evidence")],
    "reductions:evidence_delete": [("delete", "/api/v1/reductions/evidence/{evidence_id}")],
    "reductions:opinion_create": [("post", f"{P}/{{project_id}}/opinions")],
    "reductions:project_submit": [("post", f"{P}/{{project_id}}/submit")],
    "reductions:project_adopt": [("post", f"{P}/{{project_id}}/adopt")],
    "reductions:project_decline": [("post", f"{P}/{{project_id}}/decline")],
    "reductions:project_handover": [("post", f"{P}/{{project_id}}/handover")],
    "reductions:project_send_back": [("post", f"{P}/{{project_id}}/send-back")],
    "reductions:project_accept_late": [("post", f"{P}/{{project_id}}/accept-late")],
    # The review form's decision is one of three actions.
    "reductions:project_review": [
        ("post", f"{P}/{{project_id}}/approve"),
        ("post", f"{P}/{{project_id}}/reject"),
        ("post", f"{P}/{{project_id}}/return"),
    ],
    "reductions:project_suggest": [("post", "/api/v1/reductions/suggestions")],
    "reductions:import": [("post", "/api/v1/reductions/import")],
    "reductions:factor_create": [("post", "/api/v1/reductions/factors")],
    "reductions:factor_retire": [("post", "/api/v1/reductions/factors/{factor_id}/retire")],
    "reductions:round_create": [("post", "/api/v1/reductions/rounds")],
    "reductions:round_next": [("post", "/api/v1/reductions/rounds/next")],
    "reductions:usage_create": [("post", "/api/v1/reductions/lines/{line_id}/usages")],
    "reductions:usage_cancel": [("post", "/api/v1/reductions/usages/{usage_id}/cancel")],
    # --- 总量库 emissions
    "emissions:list_propose": [("post", f"{E}/list")],
    "emissions:list_import": [("post", f"{E}/list/import")],
    "emissions:report_create": [("post", ER)],
    "emissions:report_lines": [("put", f"{ER}/{{report_id}}/lines")],
    "emissions:attachment_upload": [("post", f"{ER}/{{report_id}}/attachments")],
    "emissions:attachment_delete": [("delete", f"{ER}/{{report_id}}/attachments/{{attachment_id}}")],
    "emissions:report_submit": [("post", f"{ER}/{{report_id}}/submit")],
    "emissions:report_accept": [("post", f"{ER}/{{report_id}}/accept")],
    "emissions:report_return": [("post", f"{ER}/{{report_id}}/return")],
    "emissions:report_reopen": [("post", f"{ER}/{{report_id}}/reopen")],
    "emissions:opinion_add": [("post", f"{ER}/{{report_id}}/opinions")],
    "emissions:review_batch": [("post", f"{ER}/batch-accept")],
    "emissions:flag_resolve": [("post", f"{E}/flags/{{flag_id}}/resolve")],
    "emissions:source_import": [("post", f"{E}/source-imports")],
    "emissions:deadline_extend": [("post", f"{E}/deadlines/extensions")],
    "emissions:overdue_remind": [("post", f"{E}/reminders")],
    "emissions:determination_compute": [("post", f"{E}/determinations/compute")],
    "emissions:determination_issue": [("post", f"{E}/determinations/issue")],
    "emissions:determination_override": [("post", f"{E}/determination-lines/{{line_id}}/override")],
    "emissions:determination_override_confirm": [("post", f"{E}/determination-lines/{{line_id}}/confirm")],
    "emissions:determination_override_reject": [("post", f"{E}/determination-lines/{{line_id}}/reject")],
    # --- supervision
    "enforcement:finding_create": [("post", F)],
    # A finding registered from a consistency flag is the same registration, naming the flag.
    "enforcement:finding_from_flag": [("post", F)],
    "enforcement:file_upload": [("post", f"{F}/{{finding_id}}/files")],
    "enforcement:finding_propose": [("post", f"{F}/{{finding_id}}/propose")],
    "enforcement:finding_confirm": [("post", f"{F}/{{finding_id}}/confirm")],
    "enforcement:finding_notify": [("post", f"{F}/{{finding_id}}/notify")],
    "enforcement:finding_answer": [("post", f"{F}/{{finding_id}}/answer")],
    "enforcement:finding_dismiss": [("post", f"{F}/{{finding_id}}/dismiss")],
    "enforcement:finding_return": [("post", f"{F}/{{finding_id}}/return")],
    "reports:bulletin_issue": [("post", "/api/v1/supervision/bulletins")],
    # --- 历史数据导入 history (SCOPE-1)
    "history:upload": [("post", "/api/v1/history/imports")],
    "history:confirm": [("post", "/api/v1/history/imports/{import_id}/confirm")],
    "history:discard": [("post", "/api/v1/history/imports/{import_id}/discard")],
    # --- registry and notifications
    "registry:enterprise_create": [("post", "/api/v1/enterprises")],
    "registry:enterprise_edit": [("patch", "/api/v1/enterprises/{enterprise_id}")],
    "registry:enterprise_import": [("post", "/api/v1/enterprises/import")],
    "registry:unit_change": [("post", "/api/v1/enterprises/{enterprise_id}/changes")],
    "registry:rule_create": [("post", "/api/v1/rules")],
    "notifications:open": [("post", "/api/v1/notifications/{notification_id}/read")],
    "notifications:read_all": [("post", "/api/v1/notifications/read-all")],
    # --- 外发事件订阅 webhooks
    "webhooks:create": [("post", "/api/v1/webhooks/subscriptions")],
    "webhooks:edit": [("patch", "/api/v1/webhooks/subscriptions/{subscription_id}")],
    "webhooks:deactivate": [("post", "/api/v1/webhooks/subscriptions/{subscription_id}/deactivate")],
    "webhooks:rotate": [("post", "/api/v1/webhooks/subscriptions/{subscription_id}/rotate-secret")],
    "webhooks:ping": [("post", "/api/v1/webhooks/subscriptions/{subscription_id}/ping")],
    "webhooks:replay": [("post", "/api/v1/webhooks/deliveries/{delivery_id}/replay")],
}

# Page actions that are about the browser session itself, not about records another system would
# act on.
PAGE_ONLY: dict[str, str] = {
    "accounts:logout": "ends the browser session; an API caller simply stops using its token",
    "accounts:password_change": "a person's own password for signing in to the pages",
    "accounts:one_time_passwords_download": "a person's own second-factor recovery codes, shown once",
    "set_language": "the page language; the API follows Accept-Language",
}

# Known missing routes (issue 12), each with what it is: listed so that they are seen, not hidden.
NOT_YET: dict[str, str] = {}


def _patterns(patterns: Any = None, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "api":
                continue
            inner = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from _patterns(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield prefix + entry.name, entry


def _source(view: Any) -> str:
    cls = getattr(view, "view_class", None)
    try:
        return inspect.getsource(cls if cls is not None else inspect.unwrap(view))
    except (OSError, TypeError):
        return ""


def page_actions() -> set[str]:
    """Every page action: a page whose view writes, and each action of a workflow page (a page
    bound to one action, ``{"action": …}``, is that action; a page taking the action from its URL
    is each action of its table)."""
    found: set[str] = set()
    for name, pattern in _patterns():
        view = inspect.unwrap(pattern.callback)
        table = inspect.getclosurevars(view).nonlocals.get("table") if hasattr(view, "__code__") else None
        if table is not None and "action" not in pattern.default_args:
            found |= {f"{name}#{action.name}" for action in table.actions}
        elif table is not None or any(marker in _source(pattern.callback) for marker in WRITES):
            found.add(name)
    return found


def test_every_page_action_has_an_api_route_or_a_stated_reason():
    actions = page_actions()
    # The detection sees a form page, a one-button post and each action of a workflow page.
    assert {
        "reserve:verified_create",
        "reserve:intake_exclude",
        "reserve:application_action#approve",
    } <= actions
    listed = set(ROUTES) | set(PAGE_ONLY) | set(NOT_YET)
    assert actions - listed == set(), "give these page actions an API route (and a row in ROUTES)"


def test_each_mapped_route_exists_and_each_row_names_a_page_action():
    operations = api_operations()
    missing = {page: op for page, ops in ROUTES.items() for op in ops if op not in operations}
    assert missing == {}
    names = {name for name, _pattern in _patterns()}
    # Rows found by the detection, or named pages whose view delegates the writing to a helper.
    stale = {row.split("#")[0] for row in set(ROUTES) | set(PAGE_ONLY) | set(NOT_YET)} - names
    assert stale == set(), "these rows name pages that no longer exist"
    assert set(ROUTES).isdisjoint(NOT_YET) and set(ROUTES).isdisjoint(PAGE_ONLY)
