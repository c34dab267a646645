"""Bulk declaration from the XLSX template."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.urls import reverse
from django.utils.translation import gettext as _

from totalquota.accounts.permissions import (
    principal_of,
    require,
)
from totalquota.common.middleware import multipart_post
from totalquota.common.xlsx import read_table, xlsx_response
from totalquota.reductions import services
from totalquota.reductions.forms import (
    ImportForm,
)
from totalquota.reductions.imports import IMPORT_COLUMNS, import_template
from totalquota.reductions.views.common import _zones_for
from totalquota.web.forms import import_page, saved


@login_required
@multipart_post
def project_import(request):
    require(request.user, "reductions.import")
    return import_page(
        request,
        ImportForm(request.POST or None, request.FILES or None),
        save=lambda file: services.project_import(
            actor=principal_of(request.user),
            rows=read_table(file, headers=[h for h, _f in IMPORT_COLUMNS]),
        ),
        done=lambda result: saved(
            request,
            _("导入完成：新增 %(p)d 个项目草稿、%(l)d 条减排量。请逐个上传佐证材料后报送。")
            % {"p": result.projects, "l": result.lines},
            reverse("reductions:project_list") + "?status=draft",
        ),
        title=_("批量申报减排项目"),
        template="reductions/import.html",
    )


@login_required
def import_template_view(request):
    require(request.user, "reductions.import")
    return xlsx_response(import_template(_zones_for(request.user)), "减排项目批量申报模板.xlsx")
