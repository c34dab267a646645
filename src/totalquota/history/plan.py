"""Checking a filled-in template as a whole, and simulating it in date order.

Every row is read and checked (zone, pollutant, unit, amount, date, references between sheets,
rows already imported); then the file's events are replayed in date order (on one day: lots taken
in, then allocations, then recoveries; in row order within each) over the file's own lots. An
allocation draws from the lots it names, else from the zone's oldest lots of the file first (FIFO);
a lot that would be overdrawn on any day refuses the file, even if later lots would make the final
balance good. A recovery of ground (1) returns the allocation's grams to the lots it came from; of
ground (2) or (3) it opens a new lot (RES-4) that later allocations may draw.

The result is a :class:`Checked`: the problems (each naming sheet, row, column, value, and the
message in Chinese and English) or, without problems, the plan in posting order, the row-by-row
report and the simulated reserve after each day with a change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from totalquota.history.models import HistoryEntry
from totalquota.history.workbook import ALLOCATIONS, LOTS, RECOVERIES, Sheet
from totalquota.lib import dates
from totalquota.lib.units import QuantityError, format_quantity, parse_quantity
from totalquota.registry.models import Enterprise, Pollutant, Zone

# On one day: lots first, then allocations, then recoveries.
ORDER = {LOTS.code: 0, ALLOCATIONS.code: 1, RECOVERIES.code: 2}
GROUNDS = {
    "1": "1",
    "项目不再建设": "1",
    "2": "2",
    "实际排放低于许可量80%": "2",
    "实际排放低于许可量 80%": "2",
    "3": "3",
    "其他": "3",
}
GROUND_LABELS = {"1": "项目不再建设", "2": "实际排放低于许可量 80%", "3": "其他"}
LOT_SPLIT = re.compile(r"[；;，,\n]+")


def both(template: str, **params: Any) -> dict[str, str]:
    """A message in Chinese and in English (``template`` is a Chinese msgid)."""
    with translation.override("zh-hans"):
        zh = gettext(template).format(**params)
    with translation.override("en"):
        en = gettext(template).format(**params)
    return {"message": zh, "message_en": en}


@dataclass
class Checked:
    """What checking a file found: ``problems`` (empty when the file is good), else ``plan``,
    ``report`` and ``timeline`` as a prepared import keeps them."""

    problems: list[dict[str, Any]] = field(default_factory=list)
    plan: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    report: list[dict[str, Any]] = field(default_factory=list)
    timeline: list[list[Any]] = field(default_factory=list)
    days: tuple[dt.date | None, dt.date | None] = (None, None)

    def problem(self, sheet: Sheet, row: int, key: str, value: Any, template: str, **params: Any) -> None:
        header = next((c.header for c in sheet.columns if c.key == key), key)
        self.problems.append(
            {
                "sheet": sheet.title,
                "row": row,
                "column": header,
                "value": "" if value is None else str(value),
                **both(template, **params),
            }
        )


class _Reader:
    """Reads the cells of one row, recording a problem for each bad one (``None`` returned)."""

    def __init__(self, checked: Checked, sheet: Sheet, row: int, cells: dict[str, Any]) -> None:
        self.checked, self.sheet, self.row, self.cells = checked, sheet, row, cells
        self.ok = True

    def fail(self, key: str, template: str, **params: Any) -> None:
        self.ok = False
        self.checked.problem(self.sheet, self.row, key, self.cells.get(key), template, **params)

    def text(self, key: str, *, required: bool = True, max_length: int = 100) -> str:
        value = self.cells.get(key)
        text = "" if value is None else str(value).strip()
        if isinstance(value, dt.date):
            text = value.isoformat()[:10]
        if required and not text:
            self.fail(key, gettext_noop("必填，不能为空"))
        elif len(text) > max_length:
            self.fail(key, gettext_noop("过长：最多 {max_length} 个字符"), max_length=max_length)
        return text

    def zone(self, zones: dict[str, Zone]) -> Zone | None:
        text = self.text("zone")
        if not text:
            return None
        zone = zones.get(text) or zones.get(text.upper())
        if zone is None:
            self.fail("zone", gettext_noop("没有这个功能区"))
        return zone

    def pollutant(self, pollutants: dict[str, Pollutant]) -> Pollutant | None:
        text = self.text("pollutant")
        if not text:
            return None
        pollutant = pollutants.get(text) or pollutants.get(text.upper())
        if pollutant is None:
            self.fail("pollutant", gettext_noop("不是总量管控因子（POLL-1）"))
        return pollutant

    def amount(
        self, pollutant: Pollutant | None, *, key: str = "amount", required: bool = True
    ) -> int | None:
        value = self.cells.get(key)
        if value is None or str(value).strip() == "":
            if required:
                self.fail(key, gettext_noop("必填，不能为空"))
            return None
        if pollutant is None:
            return None
        return self.quantity(key, str(value), pollutant)

    def quantity(self, key: str, text: str, pollutant: Pollutant) -> int | None:
        """Grams of ``text`` in the pollutant's unit; a refusal is recorded in both languages."""
        try:
            return parse_quantity(text, pollutant.unit, allow_zero=False)
        except QuantityError:
            messages = {}
            for language, name in (("zh-hans", "message"), ("en", "message_en")):
                with translation.override(language):
                    try:
                        parse_quantity(text, pollutant.unit, allow_zero=False)
                    except QuantityError as exc:
                        messages[name] = exc.message
            self.ok = False
            header = next((c.header for c in self.sheet.columns if c.key == key), key)
            self.checked.problems.append(
                {"sheet": self.sheet.title, "row": self.row, "column": header, "value": text, **messages}
            )
            return None

    def day(self, key: str = "date") -> dt.date | None:
        value = self.cells.get(key)
        if value is None or str(value).strip() == "":
            self.fail(key, gettext_noop("必填，不能为空"))
            return None
        if isinstance(value, dt.datetime):
            day = value.date()
        elif isinstance(value, dt.date):
            day = value
        else:
            try:
                day = dt.date.fromisoformat(str(value).strip().replace("/", "-"))
            except ValueError:
                self.fail(key, gettext_noop("日期应写成 2021-06-30"))
                return None
        if day < dates.SCOPE_START:
            self.fail(key, gettext_noop("日期早于 2021-01-01：本规则自“十四五”起适用（SCOPE-1）"))
            return None
        if day > timezone.localdate():
            self.fail(key, gettext_noop("日期晚于今天：历史数据只能是已发生的"))
            return None
        return day


def _lookups() -> tuple[dict[str, Zone], dict[str, Pollutant]]:
    zones: dict[str, Zone] = {}
    for zone in Zone.objects.all():
        zones[zone.code.upper()] = zones[zone.name] = zone
    pollutants: dict[str, Pollutant] = {}
    for p in Pollutant.objects.all():
        pollutants[p.code.upper()] = pollutants[p.name] = p
        if p.name_en:
            pollutants[p.name_en.upper()] = p
    return zones, pollutants


def row_key(text: str) -> str:
    """A row's key as stored (at most 200 characters: a long one keeps its start and a digest)."""
    if len(text) <= 200:
        return text
    return f"{text[:175]}#{hashlib.sha256(text.encode()).hexdigest()[:24]}"


def _q(grams: int, pollutant: Pollutant) -> str:
    return format_quantity(grams, pollutant.unit, suffix=True)


def check(rows: dict[str, list[tuple[int, dict[str, Any]]]]) -> Checked:
    """Check the rows of every sheet (:func:`workbook.read`) and simulate them in date order."""
    checked = Checked()
    zones, pollutants = _lookups()
    if not any(rows.values()):
        checked.problem(LOTS, 0, "ref", "", gettext_noop("文件中没有数据行"))
        return checked

    lots: dict[str, dict[str, Any]] = {}
    for row, cells in rows[LOTS.code]:
        r = _Reader(checked, LOTS, row, cells)
        ref = r.text("ref", max_length=40)
        if ref and ref in lots:
            r.fail("ref", gettext_noop("批次编号在本文件中重复（第 {other} 行）"), other=lots[ref]["row"])
        zone, pollutant = r.zone(zones), r.pollutant(pollutants)
        grams, day = r.amount(pollutant), r.day()
        source_code = r.text("source_code", max_length=80)
        source_label = r.text("source_label", required=False, max_length=200)
        if r.ok and ref:
            assert zone and pollutant and grams and day
            lots[ref] = {
                "row": row,
                "ref": ref,
                "zone": zone.pk,
                "pollutant": pollutant.pk,
                "grams": grams,
                "day": day.isoformat(),
                "source_code": source_code,
                "source_label": source_label,
                "key": row_key(f"lot:{zone.code}:{pollutant.code}:{day}:{grams}:{source_code}"),
                "_zone": zone,
                "_pollutant": pollutant,
            }

    allocations: dict[str, dict[str, Any]] = {}
    enterprises = {
        e.uscc: e
        for e in Enterprise.objects.filter(
            uscc__in=[str(c.get("uscc") or "").strip().upper() for _r, c in rows[ALLOCATIONS.code]]
        )
    }
    for row, cells in rows[ALLOCATIONS.code]:
        r = _Reader(checked, ALLOCATIONS, row, cells)
        ref = r.text("ref", max_length=40)
        if ref and ref in allocations:
            r.fail(
                "ref", gettext_noop("分配编号在本文件中重复（第 {other} 行）"), other=allocations[ref]["row"]
            )
        code = r.text("uscc", max_length=18).upper()
        enterprise = enterprises.get(code)
        if code and enterprise is None:
            r.fail("uscc", gettext_noop("没有以此统一社会信用代码登记的排污单位"))
        project_name = r.text("project_name", max_length=150)
        project_code = r.text("project_code", required=False, max_length=40)
        zone, pollutant = r.zone(zones), r.pollutant(pollutants)
        if enterprise is not None and zone is not None and enterprise.zone_id != zone.pk:
            r.fail(
                "uscc",
                gettext_noop("该单位不在功能区“{zone}”（登记在“{actual}”）"),
                zone=zone.name,
                actual=enterprise.zone.name,
            )
        grams, day = r.amount(pollutant), r.day()
        named = _named_lots(r, pollutant, grams)
        if r.ok and ref:
            assert enterprise and zone and pollutant and grams and day
            allocations[ref] = {
                "row": row,
                "ref": ref,
                "enterprise": enterprise.pk,
                "project_name": project_name,
                "project_code": project_code,
                "zone": zone.pk,
                "pollutant": pollutant.pk,
                "grams": grams,
                "day": day.isoformat(),
                "named": named,
                "key": row_key(
                    f"allocation:{enterprise.uscc}:{pollutant.code}:{day}:{grams}:{project_code or project_name}"
                ),
                "_zone": zone,
                "_pollutant": pollutant,
                "_enterprise": enterprise,
            }

    recoveries: list[dict[str, Any]] = []
    for row, cells in rows[RECOVERIES.code]:
        r = _Reader(checked, RECOVERIES, row, cells)
        ref = r.text("allocation", max_length=40)
        allocation = allocations.get(ref)
        if ref and allocation is None and not any(c.get("ref") == ref for _n, c in rows[ALLOCATIONS.code]):
            r.fail("allocation", gettext_noop("“配额分配”页没有这个分配编号"))
        ground = (
            GROUNDS.get(r.text("ground", max_length=40).replace(" ", "")) if cells.get("ground") else None
        )
        if cells.get("ground") and ground is None:
            r.fail("ground", gettext_noop("收回情形应为 1、2 或 3（RES-4）"))
        grams = r.amount(allocation["_pollutant"] if allocation else None, required=ground != "1")
        day = r.day()
        reason = r.text("reason", max_length=300)
        if allocation is not None and day is not None and day.isoformat() < allocation["day"]:
            r.fail("date", gettext_noop("收回日期早于分配日期 {day}"), day=allocation["day"])
        if ground == "1" and allocation is not None and grams is not None and grams != allocation["grams"]:
            r.fail(
                "amount",
                gettext_noop("情形 1（项目不再建设）收回全部分配量 {grams}"),
                grams=_q(allocation["grams"], allocation["_pollutant"]),
            )
        if r.ok and allocation is not None:
            assert ground and day
            grams = grams or allocation["grams"]
            recoveries.append(
                {
                    "row": row,
                    "allocation": ref,
                    "grams": grams,
                    "day": day.isoformat(),
                    "ground": ground,
                    "reason": reason,
                    "lot": f"R{row}",
                    "key": row_key(f"recovery:{day}:{grams}:{ground}:{allocation['key']}"),
                }
            )

    _already_imported(checked, lots, allocations, recoveries)
    if checked.problems:
        return checked
    _simulate(checked, lots, allocations, recoveries)
    return checked


def _named_lots(r: _Reader, pollutant: Pollutant | None, grams: int | None) -> list[list[Any]] | None:
    """The lots an allocation row names as ``[[lot ref, grams]]``, or ``None`` for FIFO."""
    text = r.text("lots", required=False, max_length=500)
    if not text:
        return None
    parts = [p.strip() for p in LOT_SPLIT.split(text) if p.strip()]
    if len(parts) == 1 and "=" not in parts[0].replace("＝", "="):
        return [[parts[0], grams]] if grams else None
    named: list[list[Any]] = []
    for part in parts:
        ref, sep, amount = part.replace("＝", "=").partition("=")
        if not sep or pollutant is None:
            r.fail("lots", gettext_noop("多个批次须写成 L1=0.5；L2=0.3"))
            return None
        grams_of_lot = r.quantity("lots", amount.strip(), pollutant)
        if grams_of_lot is None:
            return None
        named.append([ref.strip(), grams_of_lot])
    if len({ref for ref, _g in named}) != len(named):
        r.fail("lots", gettext_noop("同一批次只能写一次"))
        return None
    if grams is not None and pollutant is not None and sum(g for _r, g in named) != grams:
        r.fail(
            "lots",
            gettext_noop("所列批次合计 {chosen}，与分配数量 {grams} 不一致"),
            chosen=_q(sum(g for _r, g in named), pollutant),
            grams=_q(grams, pollutant),
        )
        return None
    return named


def _already_imported(
    checked: Checked,
    lots: dict[str, dict[str, Any]],
    allocations: dict[str, dict[str, Any]],
    recoveries: list[dict[str, Any]],
) -> None:
    """Rows whose content an earlier import already posted (by row key) are refused, each named."""
    by_key = {
        **{x["key"]: (LOTS, x) for x in lots.values()},
        **{x["key"]: (ALLOCATIONS, x) for x in allocations.values()},
        **{x["key"]: (RECOVERIES, x) for x in recoveries},
    }
    for key, import_id in HistoryEntry.objects.filter(row_key__in=list(by_key)).values_list(
        "row_key", "history_import_id"
    ):
        sheet, x = by_key[key]
        checked.problem(
            sheet,
            x["row"],
            sheet.columns[0].key,
            x.get("ref", x.get("allocation")),
            gettext_noop("该行已由导入批次 H{pk} 导入，不能重复导入"),
            pk=import_id,
        )


def _simulate(
    checked: Checked,
    lots: dict[str, dict[str, Any]],
    allocations: dict[str, dict[str, Any]],
    recoveries: list[dict[str, Any]],
) -> None:
    """Replay the file in date order; refuse any draw a lot cannot cover on its day."""
    events: list[tuple[str, int, int, str, dict[str, Any]]] = []
    for x in lots.values():
        events.append((x["day"], ORDER[LOTS.code], x["row"], LOTS.code, x))
    for x in allocations.values():
        events.append((x["day"], ORDER[ALLOCATIONS.code], x["row"], ALLOCATIONS.code, x))
    for x in recoveries:
        events.append((x["day"], ORDER[RECOVERIES.code], x["row"], RECOVERIES.code, x))
    events.sort(key=lambda e: e[:3])

    available: dict[str, int] = {}  # lot ref -> grams left
    queue: dict[tuple[int, int], list[str]] = defaultdict(list)  # (zone, pollutant) -> lots, oldest first
    opened: dict[str, str] = {}  # lot ref -> day
    remaining: dict[str, int] = {}  # allocation ref -> grams it still holds
    draws: dict[str, list[list[Any]]] = {}
    reserve: dict[tuple[int, int], int] = defaultdict(int)
    timeline: dict[tuple[int, int, str], int] = {}
    names: dict[tuple[int, int], tuple[Zone, Pollutant]] = {}
    plan: list[dict[str, Any]] = []
    report: list[dict[str, Any]] = []

    def bank(ref: str, zp: tuple[int, int], grams: int, day: str) -> None:
        available[ref] = grams
        opened[ref] = day
        queue[zp].append(ref)

    for day, _order, row, kind, x in events:
        if kind == LOTS.code:
            zp = (x["zone"], x["pollutant"])
            names[zp] = (x["_zone"], x["_pollutant"])
            bank(x["ref"], zp, x["grams"], day)
            reserve[zp] += x["grams"]
            what = both(
                gettext_noop("入库 {grams}（{zone}{pollutant}，批次 {ref}）"),
                grams=_q(x["grams"], x["_pollutant"]),
                zone=x["_zone"].name,
                pollutant=x["_pollutant"].name,
                ref=x["ref"],
            )
        elif kind == ALLOCATIONS.code:
            zp = (x["zone"], x["pollutant"])
            names[zp] = (x["_zone"], x["_pollutant"])
            pollutant = x["_pollutant"]
            taken: list[list[Any]] = []
            if x["named"] is not None:
                for ref, grams in x["named"]:
                    if ref not in lots:
                        checked.problem(
                            ALLOCATIONS,
                            row,
                            "lots",
                            ref,
                            gettext_noop("“减排量入库”页没有批次 {ref}"),
                            ref=ref,
                        )
                    elif (lots[ref]["zone"], lots[ref]["pollutant"]) != zp:
                        checked.problem(
                            ALLOCATIONS,
                            row,
                            "lots",
                            ref,
                            gettext_noop(
                                "批次 {ref} 不属于该功能区和污染物；跨功能区使用须先由生态环境局调剂（RES-2）"
                            ),
                            ref=ref,
                        )
                    elif lots[ref]["day"] > day:
                        checked.problem(
                            ALLOCATIONS,
                            row,
                            "lots",
                            ref,
                            gettext_noop("批次 {ref} 于 {opened} 才入库，晚于分配日期 {day}"),
                            ref=ref,
                            opened=lots[ref]["day"],
                            day=day,
                        )
                    elif available[ref] < grams:
                        checked.problem(
                            ALLOCATIONS,
                            row,
                            "lots",
                            ref,
                            gettext_noop(
                                "{day} 批次 {ref} 仅余 {left}，不足 {grams}：储备在任何日期都不得透支（RES-2）"
                            ),
                            day=day,
                            ref=ref,
                            left=_q(available[ref], pollutant),
                            grams=_q(grams, pollutant),
                        )
                    else:
                        available[ref] -= grams
                        taken.append([ref, grams])
            else:
                need = x["grams"]
                for ref in queue[zp]:
                    if not need:
                        break
                    take = min(available[ref], need)
                    if take:
                        available[ref] -= take
                        need -= take
                        taken.append([ref, take])
                if need:
                    for ref, grams in taken:
                        available[ref] += grams
                    checked.problem(
                        ALLOCATIONS,
                        row,
                        "amount",
                        x["grams"],
                        gettext_noop(
                            "{day} {zone}{pollutant}本文件入库的储备仅余 {left}，不足分配的 {grams}：储备在任何日期都不得透支（RES-2）"
                        ),
                        day=day,
                        zone=x["_zone"].name,
                        pollutant=pollutant.name,
                        left=_q(x["grams"] - need, pollutant),
                        grams=_q(x["grams"], pollutant),
                    )
                    continue
            if sum(g for _r, g in taken) != x["grams"]:
                continue
            draws[x["ref"]] = taken
            remaining[x["ref"]] = x["grams"]
            reserve[zp] -= x["grams"]
            what = both(
                gettext_noop("分配 {grams} 给 {unit}“{project}”，取自批次 {lots}"),
                grams=_q(x["grams"], pollutant),
                unit=x["_enterprise"].name,
                project=x["project_name"],
                lots="、".join(f"{r}（{_q(g, pollutant)}）" for r, g in taken),
            )
        else:
            allocation = allocations[x["allocation"]]
            zp = (allocation["zone"], allocation["pollutant"])
            pollutant = allocation["_pollutant"]
            if x["allocation"] not in draws:
                continue  # the allocation itself was refused above
            held = remaining[x["allocation"]]
            if x["ground"] == "1" and held != allocation["grams"]:
                checked.problem(
                    RECOVERIES,
                    row,
                    "ground",
                    x["ground"],
                    gettext_noop("该分配已部分收回，不能再按情形 1 全部退回"),
                )
                continue
            if x["grams"] > held:
                checked.problem(
                    RECOVERIES,
                    row,
                    "amount",
                    x["grams"],
                    gettext_noop("{day} 该分配仅余 {left}，不足收回的 {grams}"),
                    day=day,
                    left=_q(held, pollutant),
                    grams=_q(x["grams"], pollutant),
                )
                continue
            remaining[x["allocation"]] -= x["grams"]
            reserve[zp] += x["grams"]
            if x["ground"] == "1":
                for ref, grams in draws[x["allocation"]]:
                    available[ref] += grams
                what = both(
                    gettext_noop("收回 {grams}（情形 1），退回原批次"), grams=_q(x["grams"], pollutant)
                )
            else:
                bank(x["lot"], zp, x["grams"], day)
                what = both(
                    gettext_noop("收回 {grams}（情形 {ground}），形成新批次 {ref}"),
                    grams=_q(x["grams"], pollutant),
                    ground=x["ground"],
                    ref=x["lot"],
                )
        timeline[(*zp, day)] = reserve[zp]
        sheet = {LOTS.code: LOTS, ALLOCATIONS.code: ALLOCATIONS, RECOVERIES.code: RECOVERIES}[kind]
        step = {k: v for k, v in x.items() if not k.startswith("_")}
        step["kind"] = kind
        if kind == ALLOCATIONS.code:
            step["draws"] = draws[x["ref"]]
        plan.append(step)
        report.append({"sheet": sheet.title, "row": row, "day": day, "key": x["key"], **what})
    if checked.problems:
        return
    checked.plan = {"steps": plan}
    checked.report = report
    checked.timeline = [
        [z, p, d, grams]
        for (z, p, d), grams in sorted(timeline.items(), key=lambda i: (i[0][0], i[0][1], i[0][2]))
    ]
    days = sorted(e[0] for e in events)
    checked.days = (dt.date.fromisoformat(days[0]), dt.date.fromisoformat(days[-1]))
