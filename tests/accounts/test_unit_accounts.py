"""Units' accounts opened from the registry with one-time passwords, the forced first change, the
reset, and the handover files (PDF letter, XLSX) made without storing a password."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from tests.factories import PASSWORD, EnterpriseFactory
from tests.xlsx_helpers import read_xlsx, response_bytes
from totalquota.accounts import handover, services
from totalquota.accounts.models import User
from totalquota.accounts.roles import Role
from totalquota.audit.models import AuditEvent
from totalquota.lib.errors import ValidationFailed
from totalquota.registry.models import ManagementCategory

pytestmark = pytest.mark.django_db

PENDING = reverse("accounts:unit_pending")
NEW_PASSWORD = "Bamboo-river-2027"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def units(world):
    """Two units of zone A and one of zone B without an account."""
    return {
        "a1": EnterpriseFactory(zone=world.zone_a, name="苏州工业园区星海精密机械股份有限公司"),
        "a2": EnterpriseFactory(zone=world.zone_a, name="苏州宇达电子科技有限公司"),
        "b1": EnterpriseFactory(zone=world.zone_b, name="苏州丙化工有限公司"),
    }


def open_accounts(client, *units, **extra):
    return client.post(PENDING, {"enterprises": [u.pk for u in units], **extra})


def passwords_on(page: str) -> list[str]:
    return re.findall(r'<code class="one-time-password">([^<]+)</code>', page)


def seal_on(page: str) -> str:
    return re.search(r'name="seal" value="([^"]+)"', page).group(1)


def test_a_zone_officer_sees_only_their_zones_units_without_an_account(world, units):
    page = signed_in(world.officer).get(PENDING).content.decode()
    assert units["a1"].name in page and units["a2"].name in page
    assert units["b1"].name not in page  # zone B
    assert world.company.name not in page  # already has an account (world.company_user)


def test_the_list_filters_by_zone_category_and_search(world, units):
    units["a2"].management_category = ManagementCategory.KEY
    units["a2"].save()
    admin = signed_in(world.admin)
    page = admin.get(PENDING, {"zone": world.zone_b.pk}).content.decode()
    assert units["b1"].name in page and units["a1"].name not in page
    page = admin.get(PENDING, {"management_category": "key"}).content.decode()
    assert units["a2"].name in page and units["a1"].name not in page
    page = admin.get(PENDING, {"q": "星海"}).content.decode()
    assert units["a1"].name in page and units["a2"].name not in page


def test_a_zone_officer_opens_two_accounts_with_one_time_passwords(world, units):
    events = AuditEvent.objects.filter(action="user.create").count()
    response = open_accounts(signed_in(world.officer), units["a1"], units["a2"])
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    passwords = passwords_on(page)
    assert len(passwords) == 2 and len(set(passwords)) == 2
    user = User.objects.get(enterprise=units["a1"])
    assert user.username == units["a1"].uscc
    assert user.role == Role.ENTERPRISE and user.must_change_password
    assert user.display_name == "苏州工业园区星海精密机械环保专员"
    assert identify_hasher(user.password).algorithm == "argon2_onetime"
    # the clear text is nowhere in the database: not in the account, not in the audit trail
    assert not any(p in user.password for p in passwords)
    assert not AuditEvent.objects.filter(after__icontains=passwords[0]).exists()
    assert AuditEvent.objects.filter(action="user.create").count() == events + 2
    for unit in (units["a1"], units["a2"]):
        assert any(User.objects.get(enterprise=unit).check_password(p) for p in passwords)


def test_one_time_passwords_use_a_readable_alphabet_and_pass_the_policy():
    for _ in range(50):
        password = services.one_time_password()
        assert re.fullmatch(r"[A-HJ-NP-Za-km-z2-9]{4}(-[A-HJ-NP-Za-km-z2-9]{4}){2}", password)
        assert not set("0O1lI") & set(password)


def test_a_long_name_is_shortened_to_fit_the_display_name(world):
    unit = EnterpriseFactory(zone=world.zone_a, name="苏州" + "独墅湖宇达电子科技" * 6 + "有限公司")
    name = services.unit_display_name(unit)
    assert len(name) == User._meta.get_field("display_name").max_length
    assert name.endswith("环保专员")


def test_an_out_of_scope_unit_refuses_the_whole_selection(world, units):
    before = User.objects.count()
    response = open_accounts(signed_in(world.officer), units["a1"], units["b1"])
    assert response.status_code == 422
    page = response.content.decode()
    assert (
        "不存在或不在您管辖的功能区内" in page
        and units["b1"].name not in page.split("selection-errors")[1][:400]
    )
    assert User.objects.count() == before


def test_a_unit_that_already_has_an_account_refuses_the_whole_selection(world, units):
    before = User.objects.count()
    response = open_accounts(signed_in(world.officer), units["a1"], world.company)
    assert response.status_code == 422
    assert f"{world.company.name}已有账号（用户名 company）" in response.content.decode()
    assert User.objects.count() == before


def test_an_empty_selection_is_refused(world, units):
    before = User.objects.count()
    response = signed_in(world.officer).post(PENDING, {})
    assert response.status_code == 422
    assert "请至少选择一家排污单位" in response.content.decode()
    response = signed_in(world.officer).post(PENDING, {"enterprises": ["abc"]})
    assert response.status_code == 422
    assert User.objects.count() == before


def test_a_taken_username_refuses_the_whole_selection(world, units):
    User.objects.create(username=units["a2"].uscc.lower(), role=Role.LEADER)
    before = User.objects.count()
    response = open_accounts(signed_in(world.officer), units["a1"], units["a2"])
    assert response.status_code == 422
    assert "已被其他账号使用" in response.content.decode()
    assert User.objects.count() == before


def test_the_service_refuses_an_out_of_scope_unit_too(world, units):
    with pytest.raises(ValidationFailed) as refused:
        services.unit_accounts_create(actor=world.other_officer.principal, enterprises=[units["a1"]])
    assert refused.value.errors[0]["field"] == "enterprises"
    assert not User.objects.filter(enterprise=units["a1"]).exists()


def test_all_filtered_units_are_opened_at_once(world, units):
    extra = EnterpriseFactory(zone=world.zone_b, name="苏州丁医药有限公司")
    response = signed_in(world.admin).post(f"{PENDING}?zone={world.zone_b.pk}", {"all_filtered": "on"})
    assert response.status_code == 200
    assert set(
        User.objects.filter(enterprise__zone=world.zone_b).values_list("enterprise_id", flat=True)
    ) == {
        world.other_company.pk,
        units["b1"].pk,
        extra.pk,
    }
    assert not User.objects.filter(enterprise__in=[units["a1"], units["a2"]]).exists()


def test_the_spreadsheet_and_the_letter_carry_the_passwords(world, units):
    officer = signed_in(world.officer)
    page = open_accounts(officer, units["a1"], units["a2"]).content.decode()
    passwords, seal = passwords_on(page), seal_on(page)
    xlsx = officer.post(reverse("accounts:one_time_passwords_download", args=["xlsx"]), {"seal": seal})
    assert xlsx.status_code == 200 and "no-store" in xlsx["Cache-Control"]
    rows = read_xlsx(response_bytes(xlsx))
    assert rows[0] == (
        "功能区",
        "排污单位名称",
        "统一社会信用代码",
        "用户名",
        "初始密码（一次性）",
        "登录地址",
    )
    by_unit = {r[1]: r for r in rows[1:]}
    a1 = by_unit[units["a1"].name]
    assert a1[2] == a1[3] == units["a1"].uscc and a1[4] in passwords
    assert a1[5] == "http://testserver/accounts/login/"
    pdf = officer.post(reverse("accounts:one_time_passwords_download", args=["pdf"]), {"seal": seal})
    assert pdf["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.content))
    assert len(reader.pages) == 2  # one page per unit
    first = reader.pages[0].extract_text().replace(" ", "")
    assert "账号开通通知书" in first and "首次登录" in first
    unit = units["a1"] if units["a1"].name in first else units["a2"]
    assert unit.uscc in first
    assert by_unit[unit.name][4] in first


def test_a_seal_is_refused_to_another_person_forged_or_after_the_password_changed(world, units):
    officer = signed_in(world.officer)
    page = open_accounts(officer, units["a1"]).content.decode()
    seal = seal_on(page)
    url = reverse("accounts:one_time_passwords_download", args=["xlsx"])
    for client, text in ((signed_in(world.admin), seal), (officer, seal[:-2] + "xx")):
        response = client.post(url, {"seal": text})
        assert response.status_code == 302 and response["Content-Type"].startswith("text/html")
    user = User.objects.get(enterprise=units["a1"])
    services.user_change_own_password(actor=user.principal, password=NEW_PASSWORD)
    assert officer.post(url, {"seal": seal}).status_code == 302


def test_a_one_time_password_signs_in_and_must_be_changed_first(world, units):
    page = open_accounts(signed_in(world.officer), units["a1"]).content.decode()
    password = passwords_on(page)[0]
    client = Client()
    response = client.post(
        reverse("accounts:login"), {"username": units["a1"].uscc, "password": password}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("accounts:password_change")
    assert "一次性初始密码" in response.content.decode()
    for url in (reverse("home"), reverse("registry:enterprise_list"), reverse("reductions:project_list")):
        assert client.get(url)["Location"] == reverse("accounts:password_change")
    api = client.get("/api/v1/zones")
    assert api.status_code == 403 and api["Content-Type"] == "application/problem+json"
    change = reverse("accounts:password_change")
    same = client.post(
        change, {"old_password": password, "new_password1": password, "new_password2": password}
    )
    assert "新密码不能与原密码相同" in same.content.decode()
    done = client.post(
        change, {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    user = User.objects.get(enterprise=units["a1"])
    assert not user.must_change_password and user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="user.change_password", object_id=str(user.pk)).exists()


def test_a_zone_officer_resets_a_units_password(world):
    unit_session = signed_in(world.company_user)
    assert unit_session.get(reverse("home")).status_code == 200
    response = signed_in(world.officer).post(
        reverse("accounts:unit_password_reset", args=[world.company_user.pk])
    )
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    password = passwords_on(response.content.decode())[0]
    user = User.objects.get(pk=world.company_user.pk)
    # check_password() of the hashers module: the model's would rehash it (and void the seal)
    assert user.must_change_password and check_password(password, user.password)
    assert not check_password(PASSWORD, user.password)
    # the unit's open session ended with its old password
    assert unit_session.get(reverse("home"))["Location"].startswith(reverse("accounts:login"))
    assert AuditEvent.objects.filter(action="user.reset_password", object_id=str(user.pk)).count() == 1
    seal = seal_on(response.content.decode())
    rows = read_xlsx(
        response_bytes(
            signed_in(world.officer).post(
                reverse("accounts:one_time_passwords_download", args=["xlsx"]), {"seal": seal}
            )
        )
    )
    assert rows[1][3:5] == ("company", password)


def test_a_reset_is_refused_outside_the_zones_and_to_others(world):
    url = reverse("accounts:unit_password_reset", args=[world.company_user.pk])
    before = User.objects.get(pk=world.company_user.pk).password
    assert signed_in(world.other_officer).post(url).status_code == 404
    assert signed_in(world.other_company_user).post(url).status_code == 403
    assert signed_in(world.company_user).post(url).status_code == 403
    assert signed_in(world.leader).post(url).status_code == 403
    # an officer's own account is not a unit's account
    other = reverse("accounts:unit_password_reset", args=[world.other_officer.pk])
    assert signed_in(world.admin).post(other).status_code == 404
    assert User.objects.get(pk=world.company_user.pk).password == before
    assert not AuditEvent.objects.filter(action="user.reset_password").exists()


def test_the_unit_account_list_shows_the_zones_accounts(world):
    page = signed_in(world.officer).get(reverse("accounts:unit_account_list")).content.decode()
    assert "company" in page and "other_company" not in page


def test_the_bureau_admin_resets_from_the_user_page(world):
    page = (
        signed_in(world.admin)
        .get(reverse("accounts:user_detail", args=[world.company_user.pk]))
        .content.decode()
    )
    assert 'id="unit-reset"' in page
    page = (
        signed_in(world.admin).get(reverse("accounts:user_detail", args=[world.officer.pk])).content.decode()
    )
    assert 'id="unit-reset"' not in page


def test_a_password_the_admin_sets_for_someone_else_must_be_changed(world):
    services.user_set_password(actor=world.admin.principal, user=world.officer, password=NEW_PASSWORD)
    assert User.objects.get(pk=world.officer.pk).must_change_password
    services.user_set_password(actor=world.admin.principal, user=world.admin, password=NEW_PASSWORD)
    assert not User.objects.get(pk=world.admin.pk).must_change_password


def test_a_seal_opens_only_for_the_person_it_was_issued_to(world, units):
    issued = services.unit_accounts_create(actor=world.officer.principal, enterprises=[units["a1"]])
    text = handover.seal(world.officer.principal, issued, kind="create")
    kind, again = handover.unseal(world.officer.principal, text)
    assert kind == "create" and again[0].password == issued[0].password
    with pytest.raises(handover.SealRefused):
        handover.unseal(world.other_officer.principal, text)


def test_while_the_password_must_change_htmx_and_sign_out_still_work(world):
    services.unit_password_reset(actor=world.officer.principal, user=world.company_user)
    client = signed_in(User.objects.get(pk=world.company_user.pk))
    partial = client.get(reverse("registry:enterprise_list"), HTTP_HX_REQUEST="true")
    assert partial.status_code == 204 and partial["HX-Redirect"] == reverse("accounts:password_change")
    assert client.get(reverse("accounts:password_change")).status_code == 200
    assert client.post(reverse("accounts:logout"))["Location"] == reverse("accounts:login")


def test_a_reset_lifts_the_lockout_of_a_unit_that_forgot_its_password(world):
    for _ in range(5):
        Client().post(reverse("accounts:login"), {"username": "company", "password": "wrong"})
    assert (
        Client().post(reverse("accounts:login"), {"username": "company", "password": PASSWORD}).status_code
        == 429
    )
    issued = services.unit_password_reset(actor=world.officer.principal, user=world.company_user)
    response = Client().post(reverse("accounts:login"), {"username": "company", "password": issued.password})
    assert response.status_code == 302
    assert AuditEvent.objects.get(action="user.reset_password").after["lockouts_lifted"] == 1


def test_all_filtered_under_a_refused_filter_opens_nothing(world, units):
    before = User.objects.count()
    # zone B is not among the officer's zones: "all" must not fall back to every unit of zone A
    response = signed_in(world.officer).post(f"{PENDING}?zone={world.zone_b.pk}", {"all_filtered": "on"})
    assert response.status_code == 422
    assert "筛选条件无效" in response.content.decode()
    assert User.objects.count() == before


def test_the_letter_is_void_once_the_unit_has_signed_in(world, units):
    officer = signed_in(world.officer)
    page = open_accounts(officer, units["a1"]).content.decode()
    url = reverse("accounts:one_time_passwords_download", args=["xlsx"])
    assert officer.post(url, {"seal": seal_on(page)}).status_code == 200
    login = {"username": units["a1"].uscc, "password": passwords_on(page)[0]}
    assert Client().post(reverse("accounts:login"), login).status_code == 302
    # the sign-in rehashed the password with the default hasher: the seal no longer matches
    assert officer.post(url, {"seal": seal_on(page)}).status_code == 302
