"""Demo park: SIP's four functional zones and a few hundred enterprises with valid codes."""

from __future__ import annotations

from totalquota.audit.services import record, snapshot
from totalquota.demo.accounts import ensure_admin
from totalquota.demo.context import DemoContext
from totalquota.lib import uscc
from totalquota.registry.models import ManagementCategory, Park, Zone
from totalquota.registry.services import enterprise_create

ZONES = [
    ("HMT", "高端制造与国际贸易区"),
    ("DSL", "独墅湖科教创新区"),
    ("YCL", "阳澄湖半岛旅游度假区"),
    ("JJL", "金鸡湖商务区"),
]
# (industry code, industry name, name suffix, weight of the zone it favours)
INDUSTRIES = [
    ("C3982", "电子电路制造", "电子科技", "HMT"),
    ("C3973", "集成电路制造", "半导体", "HMT"),
    ("C3976", "光电子器件制造", "光电", "DSL"),
    ("C2720", "化学药品制剂制造", "生物医药", "DSL"),
    ("C3484", "机械零部件加工", "精密机械", "HMT"),
    ("C3670", "汽车零部件及配件制造", "汽车部件", "HMT"),
    ("C2661", "化学试剂和助剂制造", "新材料", "HMT"),
    ("C3360", "金属表面处理及热处理加工", "表面处理", "HMT"),
    ("C2319", "包装装潢及其他印刷", "印刷包装", "YCL"),
    ("C1469", "其他调味品、发酵制品制造", "食品", "YCL"),
    ("D4412", "热电联产", "热电", "JJL"),
    ("D4620", "污水处理及其再生利用", "水务", "JJL"),
    ("C2641", "涂料制造", "涂料", "HMT"),
    ("C3311", "金属结构制造", "钢结构", "YCL"),
    ("H6210", "正餐服务", "餐饮管理", "JJL"),
]
WORDS = "华盛恒达鑫瑞德科创联新博通泰宏微芯精源润嘉禾宇晟昊佳信诚立丰益康"
# A name's place prefix: any unit may carry the city's or the park's, a place name only the zone it
# lies in (a unit named after 独墅湖 sits in the 独墅湖 zone).
PREFIXES = ["苏州", "苏州工业园区", "江苏"]
PLACE_NAMES = {"DSL": "独墅湖", "YCL": "阳澄湖", "JJL": "金鸡湖"}
ZONE_STREETS = {"YCL": ["阳澄湖大道"], "JJL": ["金鸡湖大道"]}
STREETS = [
    "星湖街",
    "苏虹东路",
    "唯亭镇青丘街",
    "胜浦路",
    "若水路",
    "方洲路",
    "星港街",
    "东长路",
    "娄葑东路",
    "钟园路",
    "现代大道",
    "通园路",
    "淞江路",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = [
    "伟",
    "敏",
    "静",
    "磊",
    "洋",
    "艳",
    "勇",
    "军",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "桂兰",
    "建华",
    "晓东",
    "海燕",
]
ORG_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def short_name(name: str) -> str:
    """A unit's name without its place prefix and legal form (苏州独墅湖宇达电子科技有限公司 → 宇达电子科技)."""
    for prefix in sorted(PREFIXES + [f"苏州{p}" for p in PLACE_NAMES.values()], key=len, reverse=True):
        if name.startswith(prefix):
            name = name[len(prefix) :]
            break
    return name.removesuffix("有限公司")


def org_code(rng) -> str:
    """A 9-character organisation code with its GB 11714 check character."""
    body = "MA" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(6))
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body, weights, strict=True))
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def seed(ctx: DemoContext) -> None:
    rng = ctx.rng
    park = Park.objects.create(code="SIP", name="苏州工业园区")
    admin = ensure_admin(ctx)
    ctx.actor = admin
    zones = {}
    for order, (code, name) in enumerate(ZONES, start=1):
        zone = Zone.objects.create(park=park, code=code, name=name, sort_order=order)
        record(actor=admin, action="zone.create", obj=zone, after=snapshot(zone))
        zones[code] = zone
    ctx["park"] = park
    ctx["zones"] = zones
    used_names: set[str] = set()
    enterprises = []
    count = ctx["enterprise_count"]
    for i in range(count):
        code, industry, suffix, home_zone = rng.choice(INDUSTRIES)
        zone = zones[home_zone] if rng.random() < 0.7 else rng.choice(list(zones.values()))
        while True:
            zone_code = zone.code
            prefixes = PREFIXES + ([f"苏州{PLACE_NAMES[zone_code]}"] * 2 if zone_code in PLACE_NAMES else [])
            name = f"{rng.choice(prefixes)}{rng.choice(WORDS)}{rng.choice(WORDS)}{suffix}有限公司"
            if name not in used_names:
                used_names.add(name)
                break
        authority = "91"
        if i % 97 == 5:
            authority = "52"  # registered by civil affairs (a non-market-regulation registrar)
        elif i % 97 == 50:
            authority = "Y1"  # "other" registrar: letter-initial and still valid under GB 32100
        credit = uscc.complete(authority + "320594" + org_code(rng))
        roll = rng.random()
        category = (
            ManagementCategory.KEY
            if roll < 0.3
            else ManagementCategory.SIMPLIFIED
            if roll < 0.8
            else ManagementCategory.REGISTRATION
        )
        letter = {"key": "P", "simplified": "V", "registration": "W"}[category]
        permit = (
            f"{credit}001{letter}"
            if category != ManagementCategory.REGISTRATION or rng.random() < 0.5
            else ""
        )
        contact = rng.choice(SURNAMES) + rng.choice(GIVEN)
        enterprises.append(
            enterprise_create(
                actor=admin.principal,
                name=name,
                uscc=credit,
                permit_number=permit,
                industry_code=code,
                industry_name=industry,
                zone=zone,
                address=f"苏州工业园区{rng.choice(STREETS + ZONE_STREETS.get(zone.code, []))}{rng.randint(1, 399)}号",
                contact_name=contact if rng.random() > 0.05 else "",
                contact_phone=f"0512-{rng.randint(62000000, 69999999)}" if rng.random() > 0.05 else "",
                contact_email="",
                management_category=category,
            )
        )
    ctx["enterprises"] = enterprises
