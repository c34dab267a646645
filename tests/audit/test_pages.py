"""The audit pages show each event's place in the chain and its link, or that it is not linked yet."""

import pytest
from django.db import transaction
from django.test import TestCase
from django.urls import reverse

from totalquota.audit.models import AuditLink
from totalquota.audit.services import record

pytestmark = pytest.mark.django_db


def test_the_list_and_the_detail_show_the_chain_position_and_the_link(client, world):
    with TestCase.captureOnCommitCallbacks(execute=True), transaction.atomic():
        first = record(actor=world.admin, action="x.first", object_type="t", object_id=1)
        second = record(actor=world.admin, action="x.second", object_type="t", object_id=2)
    link = AuditLink.objects.get(event=second)
    client.force_login(world.admin)
    page = client.get(reverse("audit:event_list")).content.decode()
    assert page.index("x.second") < page.index("x.first")  # newest first
    assert f'href="{reverse("audit:event_detail", args=[first.pk])}"' in page
    detail = client.get(reverse("audit:event_detail", args=[second.pk])).content.decode()
    assert f"#{link.seq}" in detail and link.mac in detail and link.prev in detail and "sha256" in detail


def test_an_event_not_linked_yet_says_so(client, world):
    with transaction.atomic():  # inside the test's transaction: not linked
        event = record(actor=world.admin, action="x.waiting", object_type="t", object_id=1)
    client.force_login(world.admin)
    detail = client.get(reverse("audit:event_detail", args=[event.pk]))
    assert detail.status_code == 200
    assert "尚未入链" in detail.content.decode()
    assert client.get(reverse("audit:event_list")).status_code == 200
