"""Demo OKRs: an active quarter with company, team and personal objectives
aligned to each other and several weeks of check-in history, in English
(northwind) and Vietnamese (saomai)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from cycles import services as cycle_services
from cycles.models import Cycle, CycleStatus
from objectives import services
from objectives.demo_history import seed_closed_quarters
from objectives.models import Objective, ObjectiveStatus
from orgs.models import Organization, Team, User


@dataclass(frozen=True)
class KR:
    title: str
    owner: str  # e-mail
    start: float
    target: float
    kind: str = "number"
    unit: str = ""
    pace: float = 0.9  # how far along the line the owner is, relative to the calendar


@dataclass(frozen=True)
class Obj:
    key: str
    title: str
    owner: str  # "company", "team:<name>" or "person:<email>"
    krs: tuple[KR, ...]
    parent: str | None = None
    description: str = ""
    initiatives: tuple[str, ...] = field(default=())


def _e(name: str) -> str:
    return f"{name}@demo.okrkpi.test"


NORTHWIND: tuple[Obj, ...] = (
    Obj(
        "c1",
        "Delight our customers on every channel",
        "company",
        (
            KR("Raise NPS from 32 to 45", _e("ceo"), 32, 45, unit="NPS", pace=0.8),
            KR("Cut first support response time from 8 h to 2 h", _e("ceo"), 8, 2, unit="h", pace=1.1),
            KR("Grow repeat purchase rate from 18% to 30%", _e("ceo"), 18, 30, "percent", "%", 0.7),
        ),
        description="Customers who love us stay, buy again and bring their friends.",
        initiatives=("Roll out a multichannel help desk", "Interview 20 customers who left"),
    ),
    Obj(
        "c2",
        "Build a profitable, predictable growth engine",
        "company",
        (
            KR(
                "Grow monthly recurring revenue from $120k to $180k", _e("ceo"), 120000, 180000, "currency", "USD", 0.85
            ),
            KR("Raise net profit margin from 8% to 12%", _e("chris"), 8, 12, "percent", "%", 0.6),
            KR("Launch the partner programme", _e("jordan"), 0, 1, "milestone"),
        ),
    ),
    Obj(
        "m1",
        "Become the go-to brand for warehouse robotics",
        "team:Marketing",
        (
            KR("Increase qualified leads per month from 40 to 90", _e("maria"), 40, 90, unit="leads", pace=1.0),
            KR("Publish 12 customer case studies", _e("sam"), 0, 12, unit="stories", pace=0.75),
            KR("Grow newsletter subscribers from 2,000 to 5,000", _e("maria"), 2000, 5000, unit="subscribers"),
        ),
        parent="c2",
        initiatives=("Content calendar with two stories a month",),
    ),
    Obj(
        "g1",
        "Turn website visitors into conversations",
        "team:Growth",
        (
            KR("Lift visitor-to-lead conversion from 1.2% to 2.5%", _e("sam"), 1.2, 2.5, "percent", "%", 0.9),
            KR("Launch self-serve demo booking", _e("sam"), 0, 1, "milestone"),
        ),
        parent="m1",
    ),
    Obj(
        "s1",
        "Close bigger deals, faster",
        "team:Sales",
        (
            KR("Shorten the sales cycle from 60 to 40 days", _e("jordan"), 60, 40, unit="days", pace=0.5),
            KR("Send 30 proposals a month", _e("taylor"), 12, 30, unit="proposals", pace=0.9),
        ),
        parent="c2",
    ),
    Obj(
        "f1",
        "Give everyone a clear view of cash",
        "team:Finance",
        (
            KR(
                "Reduce receivables older than 60 days from $85k to $30k",
                _e("chris"),
                85000,
                30000,
                "currency",
                "USD",
                0.7,
            ),
            KR("Close the books within 5 working days", _e("priya"), 10, 5, unit="days", pace=1.0),
        ),
        parent="c2",
    ),
    Obj(
        "h1",
        "Make Northwind a place people want to stay",
        "team:People & HR",
        (
            KR("Raise employee satisfaction from 6.8 to 8.0", _e("dana"), 6.8, 8.0, unit="/10", pace=0.6),
            KR("Cut absenteeism from 4.5% to 3%", _e("lee"), 4.5, 3.0, "percent", "%", 0.8),
            KR("Fill 50% of open roles by internal promotion", _e("dana"), 20, 50, "percent", "%", 0.4),
        ),
        parent="c1",
    ),
    Obj(
        "p1",
        "Master marketing automation",
        "person:" + _e("sam"),
        (
            KR("Automate 5 nurture journeys", _e("sam"), 0, 5, unit="journeys", pace=1.2),
            KR("Earn the marketing automation certification", _e("sam"), 0, 1, "milestone"),
        ),
        parent="g1",
    ),
    Obj(
        "p2",
        "Build a pipeline I can rely on",
        "person:" + _e("taylor"),
        (
            KR("Book 20 demos a month", _e("taylor"), 8, 20, unit="demos", pace=0.8),
            KR("Keep CRM hygiene above 90%", _e("taylor"), 70, 90, "percent", "%", 1.0),
        ),
        parent="s1",
    ),
)

SAOMAI: tuple[Obj, ...] = (
    Obj(
        "c1",
        "Mang lại trải nghiệm tuyệt vời cho khách hàng trên mọi kênh",
        "company",
        (
            KR("Tăng chỉ số NPS từ 30 lên 45", _e("ceo"), 30, 45, unit="NPS", pace=0.8),
            KR(
                "Giảm khiếu nại của khách hàng từ 120 xuống 60 mỗi tháng",
                _e("ceo"),
                120,
                60,
                unit="khiếu nại",
                pace=1.0,
            ),
            KR("Tăng tỷ lệ khách hàng quay lại từ 20% lên 35%", _e("ceo"), 20, 35, "percent", "%", 0.7),
        ),
        description="Khách hàng hài lòng sẽ ở lại, mua thêm và giới thiệu bạn bè.",
        initiatives=("Triển khai hệ thống CRM đa kênh mới", "Nghiên cứu những khách hàng bỏ đi sau 8 tuần"),
    ),
    Obj(
        "c2",
        "Tăng trưởng doanh thu bền vững và có lãi",
        "company",
        (
            KR(
                "Tăng doanh thu thuần hàng tháng từ 2 tỷ lên 3 tỷ đồng",
                _e("ceo"),
                2_000_000_000,
                3_000_000_000,
                "currency",
                "VND",
                0.85,
            ),
            KR("Nâng biên lợi nhuận gộp từ 28% lên 33%", _e("hoa"), 28, 33, "percent", "%", 0.6),
        ),
    ),
    Obj(
        "m1",
        "Trở thành thương hiệu được tin chọn trong ngành",
        "team:Phòng Marketing",
        (
            KR(
                "Tăng số khách hàng tiềm năng đủ điều kiện từ 150 lên 300 mỗi tháng",
                _e("lan"),
                150,
                300,
                unit="khách hàng",
                pace=1.0,
            ),
            KR("Xuất bản 10 câu chuyện khách hàng", _e("minh"), 0, 10, unit="bài", pace=0.8),
        ),
        parent="c2",
        initiatives=("Tạo nội dung phù hợp với từng phân khúc khách hàng",),
    ),
    Obj(
        "s1",
        "Chốt hợp đồng lớn hơn, nhanh hơn",
        "team:Phòng Kinh doanh",
        (
            KR("Gửi 40 đề xuất hợp đồng mỗi tháng", _e("thu"), 15, 40, unit="đề xuất", pace=0.9),
            KR("Rút ngắn chu kỳ bán hàng từ 45 xuống 30 ngày", _e("hung"), 45, 30, unit="ngày", pace=0.5),
        ),
        parent="c2",
    ),
    Obj(
        "f1",
        "Kiểm soát dòng tiền chủ động",
        "team:Phòng Tài chính",
        (
            KR(
                "Giảm các khoản phải thu quá hạn từ 900 triệu xuống 300 triệu đồng",
                _e("hoa"),
                900_000_000,
                300_000_000,
                "currency",
                "VND",
                0.7,
            ),
            KR("Tăng vòng quay hàng tồn kho từ 6 lên 8 lần/năm", _e("nam"), 6, 8, unit="lần", pace=0.9),
        ),
        parent="c2",
    ),
    Obj(
        "h1",
        "Xây dựng nơi làm việc mà mọi người muốn gắn bó",
        "team:Phòng Nhân sự",
        (
            KR("Nâng tỷ lệ hài lòng của nhân viên từ 70% lên 85%", _e("mai"), 70, 85, "percent", "%", 0.7),
            KR("Giảm tỷ lệ vắng mặt từ 5% xuống 3%", _e("tuan"), 5, 3, "percent", "%", 0.9),
        ),
        parent="c1",
    ),
    Obj(
        "p1",
        "Làm chủ tiếp thị tự động",
        "person:" + _e("minh"),
        (
            KR("Tự động hoá 4 chuỗi email nuôi dưỡng khách hàng", _e("minh"), 0, 4, unit="chuỗi", pace=1.1),
            KR("Hoàn thành chứng chỉ tiếp thị số", _e("minh"), 0, 1, "milestone"),
        ),
        parent="m1",
    ),
)

CONTENT = {"northwind": NORTHWIND, "saomai": SAOMAI}
NOTES = {
    "en": [
        "Steady week.",
        "Big customer call went well.",
        "Blocked on data, unblocked Friday.",
        "",
        "Campaign launched.",
        "Slower than hoped; adjusting the plan.",
        "",
    ],
    "vi": [
        "Tuần ổn định.",
        "Buổi gặp khách hàng lớn rất tốt.",
        "Bị chậm vì thiếu dữ liệu.",
        "",
        "Đã chạy chiến dịch mới.",
        "Chậm hơn dự kiến, đang điều chỉnh.",
        "",
    ],
}


def current_quarter(org: Organization, today: date) -> tuple[str, date, date]:
    fy = today.year if today.month >= org.fiscal_year_start_month else today.year - 1
    for preset in cycle_services.cycle_presets(org=org, fiscal_year=fy):
        if preset.kind == "quarter" and preset.start_date <= today <= preset.end_date:
            return preset.name, preset.start_date, preset.end_date
    raise RuntimeError("no quarter contains today")  # pragma: no cover — the presets tile the year


@transaction.atomic
def seed_okrs(org: Organization, *, today: date | None = None) -> Cycle | None:
    spec = CONTENT.get(org.slug)
    if spec is None or Cycle.objects.filter(organization=org).exists():
        return None
    today = today or org.today()
    admin = User.objects.get(email=_e("ceo"))
    name, start, end = current_quarter(org, today)
    cycle = cycle_services.cycle_create(
        org=org, actor=admin, name=name, start_date=start, end_date=end, status=CycleStatus.ACTIVE
    )
    # The next quarter, in planning, so the planning flow has somewhere to go.
    nxt_start = end + timedelta(days=1)
    nxt = [
        p
        for p in cycle_services.cycle_presets(
            org=org,
            fiscal_year=nxt_start.year if nxt_start.month >= org.fiscal_year_start_month else nxt_start.year - 1,
        )
        if p.kind == "quarter" and p.start_date == nxt_start
    ]
    if nxt:
        cycle_services.cycle_create(
            org=org, actor=admin, name=nxt[0].name, start_date=nxt[0].start_date, end_date=nxt[0].end_date
        )
    teams = {t.name: t for t in Team.objects.filter(organization=org)}
    users = {u.email: u for u in User.objects.filter(memberships__organization=org)}
    rng = random.Random(org.slug)  # noqa: S311 — demo data, not security
    made: dict[str, Objective] = {}
    # Weekly check-ins three days into each week, the last of them within the past week.
    weeks = max(1, ((today - start).days + 3) // 7)
    now = timezone.now()
    elapsed = min(1.0, (today - start).days / max(1, (end - start).days))
    notes = NOTES.get(org.language, NOTES["en"])
    for o in spec:
        kind, _, who = o.owner.partition(":")
        objective = services.objective_create(
            org=org,
            actor=admin,
            cycle=cycle,
            title=o.title,
            description=o.description,
            owner_type="company" if kind == "company" else kind,
            owner_team=teams[who] if kind == "team" else None,
            owner_user=users[who] if kind == "person" else None,
            parent=made.get(o.parent or ""),
        )
        made[o.key] = objective
        krs = [
            services.key_result_create(
                objective=objective,
                actor=admin,
                title=k.title,
                owner=users[k.owner],
                kind=k.kind,
                unit=k.unit,
                start_value=k.start,
                target_value=k.target,
            )
            for k in o.krs
        ]
        # Activated as the quarter began: the demo shows a quarter under way, paced from its start.
        services.objective_set_status(
            objective=objective,
            actor=admin,
            status=ObjectiveStatus.ACTIVE,
            at=datetime.combine(start, time.min, tzinfo=org.tzinfo),
        )
        for title in o.initiatives:
            services.initiative_create(
                actor=admin,
                objective=objective,
                title=title,
                owner=users[o.krs[0].owner],
                status=rng.choice(["planned", "in_progress", "in_progress", "done"]),
                due_date=end - timedelta(days=rng.randint(5, 40)),
            )
        for kr, k in zip(krs, o.krs, strict=True):
            for week in range(1, weeks + 1):
                day = start + timedelta(days=7 * week - 3)
                when = datetime.combine(day, time(10, 0), tzinfo=org.tzinfo)  # mid-morning where the team is
                # Never from the future: today's 10:00 check-in, seeded at 06:00, would sort above
                # every check-in people make before ten (their first would show someone else's note).
                if day > today or when > now:
                    break
                share = min(1.0, k.pace * elapsed * week / weeks)
                if k.kind == "milestone":
                    value = 1.0 if share >= 0.75 else 0.0
                else:
                    jitter = 1 + rng.uniform(-0.08, 0.08)
                    whole = float(k.start).is_integer() and float(k.target).is_integer() and k.kind == "number"
                    value = round(k.start + (k.target - k.start) * share * jitter, 0 if whole else 2)
                confidence = max(2, min(10, round(4 + 6 * k.pace * (0.7 + 0.3 * rng.random()))))
                services.key_result_check_in(
                    key_result=kr,
                    actor=users[k.owner],
                    value=value,
                    confidence=confidence,
                    note=notes[(week + len(k.title)) % len(notes)],
                    at=when,
                )
    seed_snapshot_history(org=org, cycle=cycle, today=today)
    # Two graded quarters before this one: the forecast's calibration has a past to read.
    seed_closed_quarters(org=org, spec=spec, before=start, quarter_of=lambda d: current_quarter(org, d), rng=rng)
    return cycle


def seed_snapshot_history(*, org: Organization, cycle: Cycle, today: date) -> int:
    """The nightly snapshots the demo quarter would have had, from its first day to yesterday,
    recomputed from the check-in history with the progress math (so the dashboard's pace
    chart, movers and "as of" views have a past to show)."""
    from objectives import progress as progress_math
    from objectives.models import CheckIn, KeyResult, ObjectiveSnapshot, TeamSnapshot
    from objectives.tree import ObjectiveRow, team_progress
    from orgs.models import TeamMember

    objectives = list(
        Objective.objects.filter(organization=org, cycle=cycle).values_list(
            "id", "title", "owner_type", "owner_team_id", "owner_user_id", "parent_id", "status", "weight"
        )
    )
    krs = list(
        KeyResult.objects.filter(organization=org, objective__cycle=cycle).values_list(
            "id", "objective_id", "kind", "start_value", "target_value", "weight"
        )
    )
    history: dict[int, list[tuple[date, float, int]]] = {}
    for kr_id, value, confidence, at in (
        CheckIn.objects.filter(organization=org, key_result__objective__cycle=cycle)
        .order_by("created_at")
        .values_list("key_result_id", "value", "confidence", "created_at")
    ):
        history.setdefault(kr_id, []).append((at.astimezone(org.tzinfo).date(), value, confidence))
    teams = list(Team.objects.filter(organization=org).values_list("id", "parent_id", "name"))
    people = list(TeamMember.objects.filter(organization=org).values_list("team_id", "user_id"))
    children: dict[int, list[int]] = {}
    for oid, *_rest, parent, _status, _weight in objectives:
        if parent is not None:
            children.setdefault(parent, []).append(oid)
    info = {o[0]: o for o in objectives}
    snapshots, team_snapshots = [], []
    day = cycle.start_date
    while day < today:
        kr_of: dict[int, list[tuple[float, float]]] = {}
        conf_of: dict[int, list[int]] = {}
        for kr_id, oid, kind, start, target, weight in krs:
            seen = [h for h in history.get(kr_id, []) if h[0] <= day]
            value = seen[-1][1] if seen else start
            kr_of.setdefault(oid, []).append(
                (progress_math.key_result_progress(kind=kind, start=start, target=target, current=value), weight)
            )
            if seen:
                conf_of.setdefault(oid, []).append(seen[-1][2])
        done: dict[int, float] = {}

        def progress(oid: int, trail: frozenset[int], kr_of=kr_of, done=done) -> float:
            if oid not in done:
                kids = [
                    (progress(c, trail | {oid}), info[c][7], not progress_math.counts_in_parent(info[c][6]))
                    for c in children.get(oid, [])
                    if c not in trail
                ]
                done[oid] = progress_math.objective_progress(
                    key_results=kr_of.get(oid, []), children=kids, children_contribute=org.children_contribute
                )
            return done[oid]

        rows = []
        for oid, title, owner_type, team_id, user_id, parent, status, _weight in objectives:
            confidence = min(conf_of[oid]) if oid in conf_of else None
            rows.append(
                ObjectiveRow(
                    oid, title, owner_type, team_id, user_id, parent, status, progress(oid, frozenset()), confidence
                )
            )
            snapshots.append(
                ObjectiveSnapshot(
                    organization=org,
                    objective_id=oid,
                    cycle=cycle,
                    date=day,
                    progress=rows[-1].progress,
                    confidence=confidence,
                )
            )
        for tid, (p, sub) in team_progress(objectives=rows, teams=teams, people=people).items():
            team_snapshots.append(
                TeamSnapshot(organization=org, team_id=tid, cycle=cycle, date=day, progress=p, subtree_progress=sub)
            )
        day += timedelta(days=1)
    ObjectiveSnapshot.objects.bulk_create(snapshots, batch_size=1000)
    TeamSnapshot.objects.bulk_create(team_snapshots, batch_size=1000)
    return len(snapshots)
