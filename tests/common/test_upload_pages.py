"""The page upload forms, posted with a body that is not a file form: 415, nothing written."""

import pytest
from django.urls import reverse

from tests.reductions.conftest import ready_project
from totalquota.audit.models import AuditEvent
from totalquota.reductions.models import Evidence

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        ("application/json", 415),
        ("text/plain", 415),
        ("application/x-www-form-urlencoded", 415),
        ("multipart/form-data", 415),
        ("multipart/form-data; boundary=", 415),
        ("multipart/form-data; boundary=x", 200),
    ],
)
def test_upload_pages_answer_an_undeclared_body_without_a_server_error(
    client, world, today, content_type, status
):
    client.force_login(world.officer)
    project = ready_project(world, today, evidence=False)
    before = AuditEvent.objects.count()
    for url in (
        reverse("registry:enterprise_import"),
        reverse("reductions:import"),
        reverse("reductions:evidence_upload", args=[project.pk]),
    ):
        response = client.post(url, data='{"file": "x"}', content_type=content_type)
        assert response.status_code == status, url
        if status == 415:
            assert "multipart/form-data" in response.content.decode()
        else:  # a file form without the file: the form again
            assert 'enctype="multipart/form-data"' in response.content.decode(), url
    assert AuditEvent.objects.count() == before
    assert not Evidence.objects.exists()
