from django.urls import include, path

from totalquota.api.routes import api
from totalquota.web import views as web_views

urlpatterns = [
    path("", web_views.home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("totalquota.accounts.urls")),
    path("registry/", include("totalquota.registry.urls")),
    path("reductions/", include("totalquota.reductions.urls")),
    path("ledger/", include("totalquota.ledger.urls")),
    path("reserve/", include("totalquota.reserve.urls")),
    path("emissions/", include("totalquota.emissions.urls")),
    # Supervision: findings, notices, penalties and credit entries (SUP-4).
    path("enforcement/", include("totalquota.enforcement.urls")),
    # Dashboards, the provenance picture and bulletins (RED-5, RES-3, SUP-4).
    # The park's history since 2021 (SCOPE-1): imported from the XLSX template.
    path("history/", include("totalquota.history.urls")),
    path("supervision/", include("totalquota.reports.urls")),
    # 站内信: in-app notifications.
    path("notifications/", include("totalquota.notifications.urls")),
    # Events posted by the approval, permit and enforcement systems (PLAT-1).
    path("inbound/", include("totalquota.inbound.urls")),
    # 外发事件订阅: webhook subscriptions and their delivery log.
    path("webhooks/", include("totalquota.webhooks.urls")),
    path("audit/", include("totalquota.audit.urls")),
    path("jobs/", include("totalquota.jobs.urls")),
    # The public verify page of issued documents (no login).
    path("verify/", include("totalquota.documents.urls")),
    path("workflow/", include("totalquota.workflow.urls")),
    path("api/v1/", api.urls),
]

handler403 = "totalquota.web.views.error_403"
handler404 = "totalquota.web.views.error_404"
handler500 = "totalquota.web.views.error_500"

# No route serves MEDIA_ROOT: uploaded files are sent only by views that check who asks.
