"""What an English page may still show in Chinese, and why (``test_english_pages`` reads this).

Everything else a person reads on an English page is translated. Three things are not:

* **Official documents** (``EXEMPT_PAGES``): the bureau issues them in Chinese, as the rules
  print them; the English switch does not change an issued document.
* **Data people typed** (``TYPED_FIELDS``): names, addresses, reasons and comments stay as typed.
  The test removes the current values of these fields from the page before it looks for Chinese.
* **Chinese names shown on purpose** (``CHINESE_COLUMNS``): the pollutant list has a column of
  the official Chinese names beside the English ones; the verification page of an issued document
  shows the number and holder printed on the document.
* **Fixed words** (``EXEMPT_TEXT``): the language switch names the other language in itself.

A new official document adds its URL name to ``EXEMPT_PAGES``; a new free-text field adds
``"app_label.Model.field"`` to ``TYPED_FIELDS``. Anything else Chinese on an English page is an
untranslated string: wrap it in ``{% translate %}`` / ``gettext`` and add its English to the
catalogue.
"""

from __future__ import annotations

# URL name -> why the page stays Chinese.
EXEMPT_PAGES: dict[str, str] = {
    "reserve:annex": "ANNEX-1 信息表: issued as the rules print it (PDF/XLSX)",
    "reductions:bulletin": "RED-5 reduction bulletin: an issued document",
    "reports:bulletin_detail": "RED-5 / RES-3 / SUP-4 bulletin: the issued document's figures, as issued",
}

# Fields whose values are typed by people (or imported from their spreadsheets).
TYPED_FIELDS: list[str] = [
    "registry.Park.name",
    "registry.Zone.name",
    "registry.Enterprise.name",
    "registry.Enterprise.address",
    "registry.Enterprise.industry_name",
    "registry.Enterprise.contact_name",
    "registry.RuleParameter.source",
    "registry.PermitLimit.source",
    # The calendar's names: the official names of the State Council's notice (seeded), or as typed.
    "registry.CalendarDay.name",
    "accounts.User.display_name",
    "accounts.User.organisation",
    "accounts.ApiToken.name",
    "webhooks.WebhookSubscription.name",
    "audit.AuditEvent.actor_label",
    "audit.AuditEvent.object_repr",
    "ledger.Account.label",
    "ledger.Account.source_label",
    "ledger.Posting.reason",
    "reserve.QuotaApplication.project_name",
    "reserve.QuotaApplication.location",
    "reserve.QuotaApplication.eia_reference",
    "reserve.QuotaApplication.description",
    "reserve.QuotaApplication.proposal",
    "reserve.QuotaApplication.decision_reason",
    "reserve.ApplicationTransition.reason",
    "reserve.IntakeItem.other_reason",
    "reserve.UpperLevelRequest.reason",
    "reserve.UpperLevelRequest.reference",
    "reserve.RecoveryCase.reason",
    "reserve.UpperDeduction.reason",
    "registry.AttainmentStatus.source",
    "emissions.VerifiedEmission.source",
    "emissions.ListEntry.basis",
    "emissions.ListEntry.removed_reason",
    "emissions.ListChange.reason",
    "emissions.ListChange.before",  # JSON: the basis and reasons as typed
    "emissions.ListChange.after",
    "emissions.DeadlineExtension.reason",
    "emissions.Reminder.message",
    "notifications.Notification.note",  # the comment or message a person typed, as typed  # a person's message as typed (the platform's are shown translated)
    "emissions.VerifiedEmission.evidence_name",
    "emissions.SourceImport.source",
    "emissions.SourceImport.file_name",
    "emissions.TechnicalOpinion.text",
    "emissions.TechnicalOpinion.organisation",
    "emissions.ConsistencyFlag.resolution",
    "emissions.ReportLine.data_source",
    "emissions.ReportLine.difference_note",
    "emissions.ReportVersion.change_note",
    "emissions.ReportAttachment.original_name",
    "emissions.ReportAttachment.note",
    "emissions.ReportTransition.reason",
    "enforcement.Finding.facts",
    "enforcement.Finding.event_reference",
    "enforcement.Finding.inspectors",
    "enforcement.FindingTransition.reason",
    "enforcement.FindingFile.original_name",
    "enforcement.Notice.text",
    "enforcement.Answer.text",
    "enforcement.PenaltyDecision.decision_number",
    "enforcement.PenaltyDecision.legal_basis",
    "enforcement.PenaltyDecision.reason",
    "enforcement.PenaltyDecision.return_reason",
    "enforcement.CreditEntry.reason",
    "reductions.DeclarationRound.note",
    "reductions.AccountingFactor.name",
    "reductions.AccountingFactor.source",
    "reductions.AccountingFactor.source_detail",
    "reductions.ReductionProject.name",
    "reductions.ReductionProject.address",
    "reductions.ReductionProject.builder",
    "reductions.ReductionProject.contact_name",
    "reductions.ReductionProject.eia_approval_number",
    "reductions.ReductionProject.permit_change",
    "reductions.ReductionProject.description",
    "reductions.ReductionProject.suggestion_note",
    "reductions.Evidence.original_name",
    "reductions.Evidence.note",
    "reductions.ProjectTransition.reason",
    "reductions.Opinion.organisation",
    "reductions.Opinion.text",
    "reductions.LineUsage.reference",
    "reductions.LineUsage.note",
    "reductions.LineUsage.cancel_reason",
    "reductions.ReductionLine.inputs",  # JSON: the text inputs (basis documents) as typed
    "reductions.ReductionProject.late_accept_reason",
    "reserve.ApplicationDocument.original_name",
    "reserve.ApplicationDocument.note",
    "reserve.IntakeTransition.reason",
    "reserve.RecoveryCase.answer",
    "reserve.RecoveryCase.decision_reason",
    "reserve.RecoveryTransition.reason",
    "accounts.Delegation.reason",
    "workflow.Assignment.reason",
    "documents.IssuedDocument.revoked_reason",
]

# Reference data a page shows in Chinese on purpose, by page: URL name -> fields and why.
CHINESE_COLUMNS: dict[str, tuple[list[str], str]] = {
    "registry:pollutant_list": (
        ["registry.Pollutant.name"],
        "the list of managed pollutants (POLL-1) shows each one's Chinese name beside its English name",
    ),
    "documents:verify_code": (
        [
            "documents.IssuedDocument.code",
            "documents.IssuedDocument.holder",
            "documents.IssuedDocument.subject_label",
        ],
        "the verification page shows the issued document's own number (文号), holder and subject as printed on it",
    ),
    **{
        page: (
            ["documents.IssuedDocument.code"],
            "a determination's document is named by its own number (文号) as printed on it (TOT-3)",
        )
        for page in (
            "emissions:determination_list",
            "emissions:determination_run",
            "emissions:determination_detail",
            "emissions:unit_record",
        )
    },
    **{
        page: (
            ["documents.IssuedDocument.code", "documents.IssuedDocument.subject_label"],
            "a bulletin is named by its own number (文号) and title as printed on it (RED-5, RES-3, SUP-4)",
        )
        for page in ("reports:bulletin_list", "reports:public", "reports:bulletin_check")
    },
    # The dashboards offer the issued bulletins whose ledger state can be shown (as known then).
    **{
        page: (
            ["documents.IssuedDocument.code", "documents.IssuedDocument.subject_label"],
            "a bulletin is named by its own number (文号) and title as printed on it (RED-5, RES-3, SUP-4)",
        )
        for page in (
            "reports:dashboard_park",
            "reports:dashboard_zone",
            "reports:dashboard_leader",
            "reports:dashboard_unit",
        )
    },
}

# Words that are Chinese in every language, and why.
EXEMPT_TEXT: dict[str, str] = {
    "中文": "the language switch names Chinese in Chinese",
    "简体中文": "the language list names Chinese in Chinese",
    "苏州工业园区": "the park's name (settings.PARK_NAME), a proper name",
}
