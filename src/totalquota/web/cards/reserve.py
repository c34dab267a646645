"""Home-page cards of the quota reserve."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from totalquota.accounts.permissions import Principal, in_zones, may, restrict, zone_visible
from totalquota.registry.models import Zone
from totalquota.reserve.models import (
    OPEN_RECOVERY,
    OPEN_STATUSES,
    ApplicationStatus,
    IntakeRun,
    IntakeStatus,
    QuotaApplication,
    RecoveryCase,
    RecoveryStatus,
    RequestStatus,
    UpperLevelRequest,
)
from totalquota.reserve.selectors import shortfalls, zone_warnings
from totalquota.web.home import Card, provider


@provider
def reserve_cards(principal: Principal) -> list[Card]:
    cards: list[Card] = []
    url = reverse("reserve:application_list")
    apps = restrict(principal, QuotaApplication.objects.all(), "reserve.view")
    if may(principal, "reserve.decide"):
        waiting = apps.filter(status__in=OPEN_STATUSES).exclude(proposed_by=principal.user).count()
        if waiting:
            cards.append(
                Card(
                    _("待决定的总量指标申请"),
                    waiting,
                    url + "?status=submitted",
                    "warning",
                    _("审核类申请须由另一名审核人员批准"),
                    10,
                )
            )
    if may(principal, "reserve.apply"):
        drafts = apps.filter(status=ApplicationStatus.DRAFT).count()
        if drafts:
            cards.append(Card(_("未提交的指标申请草稿"), drafts, url + "?status=draft", "info", order=30))
        no_date = apps.filter(status=ApplicationStatus.APPROVED, operation_started_on__isnull=True).count()
        if no_date:
            cards.append(
                Card(
                    _("已批准待登记投运日期的项目"),
                    no_date,
                    url + "?status=approved",
                    "info",
                    _("投运满一年后将核查实际排放（RES-4）"),
                    40,
                )
            )
    if principal.enterprise_id is None and may(principal, "reserve.view"):
        short = {k: v for k, v in shortfalls().items() if zone_visible(principal, k[0])}
        if short:
            cards.append(
                Card(
                    _("储备不足、未能预留的申请因子"),
                    len(short),
                    url + "?status=submitted",
                    "danger",
                    _("需调剂或申请上级储备（RES-2）"),
                    5,
                )
            )
    if may(principal, "reserve.intake_confirm"):
        # Four eyes: the runs someone else prepared (the preparer's own wait for a second person).
        pending = (
            IntakeRun.objects.filter(status=IntakeStatus.PREPARED).exclude(created_by=principal.user).count()
        )
        if pending:
            cards.append(
                Card(
                    _("待确认的入库批次"),
                    pending,
                    reverse("reserve:intake_list") + "?status=prepared",
                    "warning",
                    _("编制人以外的人员确认入库（四眼原则）"),
                    15,
                )
            )
    cases = restrict(principal, RecoveryCase.objects.all(), "reserve.view")
    if may(principal, "reserve.decide"):
        waiting = cases.filter(status__in=OPEN_RECOVERY).exclude(proposed_by=principal.user).count()
        if waiting:
            cards.append(
                Card(_("待决定的指标收回"), waiting, reverse("reserve:recovery"), "warning", order=12)
            )
    if may(principal, "reserve.recovery_answer"):
        told = cases.filter(status=RecoveryStatus.NOTIFIED, answered_at__isnull=True).first()
        if told is not None:
            cards.append(
                Card(
                    _("收回告知待答复"),
                    cases.filter(status=RecoveryStatus.NOTIFIED, answered_at__isnull=True).count(),
                    told.get_absolute_url(),
                    "danger",
                    _("答复期内可陈述意见（RES-4）"),
                    2,
                )
            )
        upper = UpperLevelRequest.objects.filter(status=RequestStatus.REQUESTED).count()
        if upper:
            cards.append(
                Card(_("待上级答复的储备申请"), upper, reverse("reserve:upper_list"), "info", order=50)
            )
    if principal.enterprise_id is not None or not may(principal, "reserve.view_warnings"):
        return cards
    today = timezone.localdate()
    zones = in_zones(principal, Zone.objects.filter(is_active=True))
    flagged = [
        w
        for w in zone_warnings(today.replace(month=1, day=1), today, zones=zones, only_active=True)
        if w.level != "normal"
    ]
    if flagged:
        worst = "danger" if any(w.level == "warning" for w in flagged) else "warning"
        cards.append(
            Card(
                _("储备收支预警"),
                len(flagged),
                reverse("reserve:warnings"),
                worst,
                "、".join(f"{w.zone.name}{w.pollutant.display_name}（{w.level_label}）" for w in flagged[:3]),
                8,
            )
        )
    return cards
