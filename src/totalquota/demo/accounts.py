"""Demo accounts: one or more for every role."""

from __future__ import annotations

from totalquota.accounts.models import User
from totalquota.accounts.roles import Role
from totalquota.accounts.services import token_issue, unit_display_name, user_create
from totalquota.demo.context import DEMO_PASSWORD, DemoContext

# (role label, username, note) as the start command prints them.
DEMO_LOGINS = [
    ("生态环境局管理员", "admin", "规则参数、用户、令牌、入库"),
    ("生态环境局审核", "reviewer", "审核减排项目与指标申请"),
    ("生态环境局审核", "reviewer2", "第二审核人（四眼原则）"),
    ("领导小组", "leader", "只读"),
    ("功能区", "zone_hmt", "高端制造与国际贸易区"),
    ("功能区", "zone_dsl", "独墅湖科教创新区"),
    ("功能区", "zone_ycl", "阳澄湖半岛旅游度假区"),
    ("功能区", "zone_jjl", "金鸡湖商务区"),
    ("协作部门", "partner", "经发委：推荐减排项目"),
    ("第三方机构", "thirdparty", "服务高端制造区、独墅湖区"),
    ("排污单位", "ent_hmt", "高端制造区一家企业"),
    ("排污单位", "ent_dsl", "独墅湖区一家企业"),
    ("系统对接客户端", "approval_system", "接口令牌账号（不能登录页面）"),
]


def ensure_admin(ctx: DemoContext) -> User:
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        admin = User(
            username="admin", role=Role.ADMIN, display_name="局管理员", organisation="苏州工业园区生态环境局"
        )
        admin.set_password(DEMO_PASSWORD)
        admin.save()
    return admin


def seed(ctx: DemoContext) -> None:

    actor = ctx.actor
    zones = ctx["zones"]
    bureau = "苏州工业园区生态环境局"

    def make(username, role, display_name, organisation, **scope):
        user = user_create(
            actor=actor.principal,
            username=username,
            password=DEMO_PASSWORD,
            role=role,
            display_name=display_name,
            organisation=organisation,
            **scope,
        )
        ctx.data.setdefault("users", {})[username] = user
        return user

    ctx.data.setdefault("users", {})["admin"] = actor
    make("reviewer", Role.REVIEWER, "审核员 陈静", bureau)
    make("reviewer2", Role.REVIEWER, "审核员 王磊", bureau)
    make("leader", Role.LEADER, "领导小组 张建华", "园区总量管理领导小组")
    for code, zone in zones.items():
        make(f"zone_{code.lower()}", Role.ZONE_OFFICER, f"{zone.name}专员", zone.name, zone=zone)
    make("partner", Role.PARTNER, "经发委 刘洋", "园区经济发展委员会")
    make(
        "thirdparty",
        Role.THIRD_PARTY,
        "技术服务 周杰",
        "江苏环科技术服务有限公司",
        assigned_zones=[zones["HMT"], zones["DSL"]],
    )
    for code in ("HMT", "DSL"):
        unit = next(e for e in ctx["enterprises"] if e.zone_id == zones[code].pk)
        make(f"ent_{code.lower()}", Role.ENTERPRISE, unit_display_name(unit), unit.name, enterprise=unit)
    client = make("approval_system", Role.SYSTEM, "项目审批系统", "园区项目审批系统")
    client.set_unusable_password()
    client.save(update_fields=["password"])
    _token, text = token_issue(actor=actor.principal, name="项目审批系统（演示）", client=client)
    ctx.notes.append(f"演示接口令牌（只显示这一次）：{text}")
