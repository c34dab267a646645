"""Reads of the workflow: an open item named by its kind and id."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import Http404
from django.utils.translation import gettext

from totalquota.workflow.kernel import TABLES


def item_of(kind: str, pk: int) -> models.Model:
    """The workflow item of ``kind`` (``app_label.model``, as URLs name it) and ``pk``, park-wide
    (the bureau administrator's scope); 404 for a kind without a workflow table or no such item."""
    app_label, _dot, model = kind.partition(".")
    try:
        model_class = ContentType.objects.get_by_natural_key(app_label, model).model_class()
    except ContentType.DoesNotExist:
        raise Http404(gettext("没有这类事项")) from None
    if model_class not in TABLES:
        raise Http404(gettext("没有这类事项"))
    obj = model_class._default_manager.filter(pk=pk).first()
    if obj is None:
        raise Http404(gettext("没有这项事项"))
    return obj
