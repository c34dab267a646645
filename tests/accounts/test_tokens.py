import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from totalquota.accounts.models import ApiToken

pytestmark = pytest.mark.django_db


def test_the_command_issues_a_zone_scoped_token_that_reads_only_its_zone(world, capsys):
    call_command("issue_api_token", "--client", "client", "--name", "执法系统", "--zone", "A")
    text = capsys.readouterr().out.strip().splitlines()[-1]
    assert text.startswith("tq_")
    token = ApiToken.objects.get(name="执法系统")
    assert token.zone == world.zone_a and token.digest != text
    body = Client().get("/api/v1/enterprises", HTTP_AUTHORIZATION=f"Bearer {text}").json()
    assert [e["name"] for e in body["items"]] == ["苏州甲电子有限公司"]


def test_the_command_can_create_the_client_account_and_refuses_unknown_scopes(world, capsys):
    with pytest.raises(CommandError, match="没有用户名"):
        call_command("issue_api_token", "--client", "permits", "--name", "排污许可系统")
    call_command("issue_api_token", "--client", "permits", "--name", "排污许可系统", "--create-client")
    assert ApiToken.objects.filter(client__username="permits", client__role="system").exists()
    with pytest.raises(CommandError, match="不存在"):
        call_command("issue_api_token", "--client", "permits", "--name", "x", "--zone", "NOPE")
    with pytest.raises(CommandError, match="必须限定排污单位"):
        call_command("issue_api_token", "--client", "permits", "--name", "x", "--role", "enterprise")
