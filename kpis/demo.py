"""Demo KPIs: the marketing, finance and HR examples of the seed (DESIGN §1), with
12+ periods of history each, in English (northwind) and Vietnamese (saomai).

Each KPI's history drifts from a start value to a chosen last value, with a
little deterministic noise (``random.Random`` seeded by the organisation), so
the library shows a mix of green, amber and red on every run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from django.db import transaction

from kpis import periods, services
from kpis.models import Kpi
from orgs.models import Membership, Organization, Team, TeamMember, User


@dataclass(frozen=True)
class DemoKpi:
    name: str
    why: str
    how: str
    owner: str  # "team:<name>", "person:<e-mail>" or "company"
    perspective: str
    direction: str
    target: float | None
    amber: float | None
    start: float  # the oldest value of the history
    end: float  # the latest value (decides the status the demo ends with)
    unit: str = ""
    frequency: str = "monthly"
    low: float | None = None
    high: float | None = None
    periods: int = 14
    decimals: int = 0
    noise: float = 0.04  # relative


def _e(name: str) -> str:
    return f"{name}@demo.okrkpi.test"


NORTHWIND: tuple[DemoKpi, ...] = (
    # Marketing
    DemoKpi(
        "New leads per month",
        "The top of the funnel: without enough new leads, sales misses its number two months later.",
        "Count of new contacts created in the CRM in the month, all sources, duplicates removed.",
        "team:Marketing",
        "customer",
        "higher_is_better",
        400,
        340,
        260,
        425,
        unit="leads",
    ),
    DemoKpi(
        "Qualified leads (MQL)",
        "Volume means little if sales cannot work the leads; this is the share worth a call.",
        "Leads marked 'marketing qualified' in the CRM during the month (fit score ≥ 60).",
        "team:Marketing",
        "customer",
        "higher_is_better",
        90,
        75,
        48,
        81,
        unit="leads",
    ),
    DemoKpi(
        "Proposals sent",
        "Proposals are the last step we control before a deal is won or lost.",
        "Number of priced proposals sent to prospects in the month (CRM stage 'Proposal').",
        f"person:{_e('taylor')}",
        "internal_process",
        "higher_is_better",
        30,
        24,
        18,
        33,
        unit="proposals",
    ),
    DemoKpi(
        "Net revenue growth",
        "Tells us whether marketing spend turns into revenue that stays.",
        "Month-on-month change in net revenue (after discounts and refunds), in percent.",
        "team:Sales",
        "financial",
        "higher_is_better",
        3,
        1.5,
        2.4,
        0.6,
        unit="%",
        decimals=1,
        noise=0.15,
    ),
    # Finance
    DemoKpi(
        "Revenue growth (year on year)",
        "The headline the board watches: are we growing faster than the market?",
        "Revenue of the quarter against the same quarter last year, in percent.",
        "team:Finance",
        "financial",
        "higher_is_better",
        15,
        10,
        8,
        12.5,
        unit="%",
        frequency="quarterly",
        periods=12,
        decimals=1,
        noise=0.08,
    ),
    DemoKpi(
        "Net profit margin",
        "Growth is only good if it is profitable.",
        "Net profit ÷ revenue of the quarter, from the management accounts.",
        "team:Finance",
        "financial",
        "higher_is_better",
        12,
        9,
        10.5,
        7.4,
        unit="%",
        frequency="quarterly",
        periods=12,
        decimals=1,
        noise=0.06,
    ),
    DemoKpi(
        "Gross margin",
        "Shows whether pricing and production costs are under control.",
        "(Revenue − cost of goods sold) ÷ revenue for the month.",
        "team:Finance",
        "financial",
        "higher_is_better",
        45,
        40,
        41,
        46.2,
        unit="%",
        decimals=1,
        noise=0.02,
    ),
    DemoKpi(
        "Operating cash flow",
        "Cash pays salaries; profit on paper does not.",
        "Net cash from operating activities in the month, from the bank reconciliation.",
        "team:Finance",
        "financial",
        "higher_is_better",
        150000,
        100000,
        90000,
        168000,
        unit="USD",
        noise=0.12,
    ),
    DemoKpi(
        "Receivables: days sales outstanding",
        "Money customers owe us is money we cannot use; slow payers also signal unhappy ones.",
        "Trade receivables at month end ÷ revenue of the last 90 days × 90.",
        "team:Finance",
        "financial",
        "lower_is_better",
        45,
        55,
        62,
        51,
        unit="days",
    ),
    DemoKpi(
        "Inventory turnover",
        "Stock that sits ties up cash and warehouse space.",
        "Cost of goods sold of the last 12 months ÷ average inventory value.",
        "team:Finance",
        "internal_process",
        "higher_is_better",
        8,
        6,
        5.2,
        8.4,
        unit="turns",
        frequency="quarterly",
        periods=12,
        decimals=1,
        noise=0.05,
    ),
    # People & HR
    DemoKpi(
        "Candidates meeting the criteria",
        "Good sourcing saves interview hours for the whole company.",
        "Share of candidates reaching interview who meet every must-have criterion of the role.",
        "team:People & HR",
        "learning_growth",
        "higher_is_better",
        60,
        45,
        38,
        52,
        unit="%",
    ),
    DemoKpi(
        "Revenue per employee",
        "Our productivity measure: growth should not only come from hiring.",
        "Revenue of the quarter ÷ average full-time-equivalent headcount.",
        "team:People & HR",
        "learning_growth",
        "higher_is_better",
        60000,
        52000,
        49000,
        61500,
        unit="USD",
        frequency="quarterly",
        periods=12,
        noise=0.03,
    ),
    DemoKpi(
        "Roles filled by internal promotion",
        "A healthy balance of promotion and fresh hires keeps people growing and ideas coming.",
        "Roles filled by internal candidates ÷ all roles filled in the quarter, in percent.",
        "team:People & HR",
        "learning_growth",
        "within_range",
        None,
        10,
        12,
        38,
        unit="%",
        frequency="quarterly",
        periods=12,
        low=30,
        high=50,
        noise=0.1,
    ),
    DemoKpi(
        "Average tenure",
        "Knowledge walks out of the door with every leaver.",
        "Mean years of service of current employees at quarter end.",
        "team:People & HR",
        "learning_growth",
        "higher_is_better",
        3,
        2.5,
        2.7,
        2.2,
        unit="years",
        frequency="quarterly",
        periods=12,
        decimals=1,
        noise=0.02,
    ),
    DemoKpi(
        "Employee satisfaction (eNPS)",
        "Engaged people serve customers better and stay longer.",
        "Quarterly anonymous pulse survey: % promoters − % detractors.",
        "team:People & HR",
        "learning_growth",
        "higher_is_better",
        30,
        20,
        12,
        24,
        unit="eNPS",
        frequency="quarterly",
        periods=12,
        noise=0.1,
    ),
    DemoKpi(
        "Absenteeism rate",
        "An early warning of burnout and disengagement.",
        "Unplanned absence days ÷ scheduled working days in the month.",
        "team:People & HR",
        "internal_process",
        "lower_is_better",
        2.5,
        3.5,
        2.6,
        4.1,
        unit="%",
        decimals=1,
        noise=0.08,
    ),
)

SAO_MAI: tuple[DemoKpi, ...] = (
    DemoKpi(
        "Khách hàng tiềm năng mới mỗi tháng",
        "Đầu phễu bán hàng: thiếu khách hàng tiềm năng thì hai tháng sau doanh số sẽ hụt.",
        "Số liên hệ mới tạo trong CRM trong tháng, mọi nguồn, đã loại trùng.",
        "team:Phòng Marketing",
        "customer",
        "higher_is_better",
        500,
        420,
        310,
        530,
        unit="khách",
    ),
    DemoKpi(
        "Khách hàng tiềm năng đủ điều kiện",
        "Số lượng chỉ có ý nghĩa khi phòng kinh doanh làm việc được với họ.",
        "Số khách hàng tiềm năng được đánh dấu 'đủ điều kiện' trong tháng (điểm phù hợp ≥ 60).",
        "team:Phòng Marketing",
        "customer",
        "higher_is_better",
        120,
        100,
        70,
        104,
        unit="khách",
    ),
    DemoKpi(
        "Số báo giá đã gửi",
        "Báo giá là bước cuối cùng ta chủ động được trước khi thắng hay thua hợp đồng.",
        "Số báo giá có giá gửi cho khách trong tháng (giai đoạn 'Báo giá' trong CRM).",
        f"person:{_e('thu')}",
        "internal_process",
        "higher_is_better",
        40,
        32,
        22,
        43,
        unit="báo giá",
    ),
    DemoKpi(
        "Tăng trưởng doanh thu thuần",
        "Cho biết chi phí marketing có chuyển thành doanh thu bền vững hay không.",
        "Mức thay đổi doanh thu thuần (sau chiết khấu và hoàn trả) so với tháng trước, tính theo %.",
        "team:Phòng Kinh doanh",
        "financial",
        "higher_is_better",
        3,
        1.5,
        2.2,
        0.8,
        unit="%",
        decimals=1,
        noise=0.15,
    ),
    DemoKpi(
        "Tăng trưởng doanh thu so với cùng kỳ",
        "Con số ban giám đốc theo dõi: ta có tăng nhanh hơn thị trường không?",
        "Doanh thu quý so với cùng quý năm trước, tính theo %.",
        "team:Phòng Tài chính",
        "financial",
        "higher_is_better",
        18,
        12,
        9,
        19.5,
        unit="%",
        frequency="quarterly",
        periods=12,
        decimals=1,
        noise=0.06,
    ),
    DemoKpi(
        "Biên lợi nhuận ròng",
        "Tăng trưởng chỉ tốt khi có lãi.",
        "Lợi nhuận ròng ÷ doanh thu của quý, theo báo cáo quản trị.",
        "team:Phòng Tài chính",
        "financial",
        "higher_is_better",
        10,
        7,
        6,
        8.1,
        unit="%",
        frequency="quarterly",
        periods=12,
        decimals=1,
        noise=0.05,
    ),
    DemoKpi(
        "Biên lợi nhuận gộp",
        "Cho thấy giá bán và giá vốn có được kiểm soát không.",
        "(Doanh thu − giá vốn hàng bán) ÷ doanh thu trong tháng.",
        "team:Phòng Tài chính",
        "financial",
        "higher_is_better",
        35,
        30,
        33,
        27.5,
        unit="%",
        decimals=1,
        noise=0.02,
    ),
    DemoKpi(
        "Dòng tiền từ hoạt động kinh doanh",
        "Tiền mặt trả lương; lợi nhuận trên giấy thì không.",
        "Lưu chuyển tiền thuần từ hoạt động kinh doanh trong tháng, theo đối chiếu ngân hàng.",
        "team:Phòng Tài chính",
        "financial",
        "higher_is_better",
        2500,
        1800,
        1500,
        2750,
        unit="triệu đồng",
        noise=0.12,
    ),
    DemoKpi(
        "Số ngày thu tiền bình quân",
        "Tiền khách còn nợ là tiền ta chưa dùng được; khách trả chậm cũng có thể là khách chưa hài lòng.",
        "Công nợ phải thu cuối tháng ÷ doanh thu 90 ngày gần nhất × 90.",
        "team:Phòng Tài chính",
        "financial",
        "lower_is_better",
        40,
        50,
        58,
        63,
        unit="ngày",
        noise=0.05,
    ),
    DemoKpi(
        "Vòng quay hàng tồn kho",
        "Hàng nằm kho giam vốn và chiếm chỗ.",
        "Giá vốn hàng bán 12 tháng ÷ giá trị tồn kho bình quân.",
        "team:Phòng Tài chính",
        "internal_process",
        "higher_is_better",
        6,
        4.5,
        4,
        5.1,
        unit="vòng",
        frequency="quarterly",
        periods=12,
        decimals=1,
        noise=0.05,
    ),
    DemoKpi(
        "Tỷ lệ ứng viên đạt yêu cầu",
        "Tìm nguồn tốt giúp cả công ty tiết kiệm giờ phỏng vấn.",
        "Tỷ lệ ứng viên vào vòng phỏng vấn đáp ứng mọi tiêu chí bắt buộc của vị trí.",
        "team:Phòng Nhân sự",
        "learning_growth",
        "higher_is_better",
        55,
        45,
        35,
        58,
        unit="%",
    ),
    DemoKpi(
        "Doanh thu trên mỗi nhân viên",
        "Thước đo năng suất: tăng trưởng không chỉ đến từ tuyển thêm người.",
        "Doanh thu quý ÷ số nhân sự quy đổi toàn thời gian bình quân.",
        "team:Phòng Nhân sự",
        "learning_growth",
        "higher_is_better",
        450,
        400,
        360,
        395,
        unit="triệu đồng",
        frequency="quarterly",
        periods=12,
        noise=0.03,
    ),
    DemoKpi(
        "Tỷ lệ vị trí tuyển nội bộ",
        "Cân bằng giữa thăng chức nội bộ và tuyển ngoài giúp nhân viên phát triển và có thêm ý tưởng mới.",
        "Số vị trí do ứng viên nội bộ đảm nhận ÷ tổng số vị trí tuyển trong quý, tính theo %.",
        "team:Phòng Nhân sự",
        "learning_growth",
        "within_range",
        None,
        10,
        65,
        57,
        unit="%",
        frequency="quarterly",
        periods=12,
        low=30,
        high=50,
        noise=0.04,
    ),
    DemoKpi(
        "Thâm niên trung bình",
        "Kiến thức ra đi cùng mỗi người nghỉ việc.",
        "Số năm làm việc bình quân của nhân viên hiện tại vào cuối quý.",
        "team:Phòng Nhân sự",
        "learning_growth",
        "higher_is_better",
        3,
        2.5,
        2.4,
        3.2,
        unit="năm",
        frequency="quarterly",
        periods=12,
        decimals=1,
        noise=0.02,
    ),
    DemoKpi(
        "Mức độ hài lòng của nhân viên (eNPS)",
        "Nhân viên gắn bó phục vụ khách hàng tốt hơn và ở lại lâu hơn.",
        "Khảo sát ẩn danh hằng quý: % người ủng hộ − % người phản đối.",
        "team:Phòng Nhân sự",
        "learning_growth",
        "higher_is_better",
        25,
        15,
        5,
        11,
        unit="eNPS",
        frequency="quarterly",
        periods=12,
        noise=0.1,
    ),
    DemoKpi(
        "Tỷ lệ vắng mặt",
        "Dấu hiệu sớm của kiệt sức và thiếu gắn kết.",
        "Số ngày vắng mặt không kế hoạch ÷ số ngày làm việc theo lịch trong tháng.",
        "team:Phòng Nhân sự",
        "internal_process",
        "lower_is_better",
        2,
        3,
        3.4,
        2.6,
        unit="%",
        decimals=1,
        noise=0.06,
    ),
)

DEMO_KPIS: dict[str, tuple[DemoKpi, ...]] = {"northwind": NORTHWIND, "saomai": SAO_MAI}


def _history(spec: DemoKpi, rng: random.Random) -> list[float]:
    """``spec.periods`` values drifting from start to end, the last one exactly ``end``."""
    n = spec.periods
    out = []
    for i in range(n):
        base = spec.start + (spec.end - spec.start) * i / (n - 1)
        wobble = 0.0 if i == n - 1 else base * spec.noise * (rng.random() * 2 - 1)
        out.append(round(base + wobble, spec.decimals))
    return out


def _reporter(org: Organization, kpi: Kpi, fallback: User) -> User:
    """Who records the values: the owner, or a manager of the owning team."""
    if kpi.owner_user is not None:
        return kpi.owner_user
    if kpi.owner_team_id:
        tm = (
            TeamMember.objects.filter(organization=org, team_id=kpi.owner_team_id, is_manager=True)
            .select_related("user")
            .first()
        )
        if tm is not None:
            return tm.user
    return fallback


@transaction.atomic
def seed_kpis(org: Organization, *, today: date | None = None) -> list[Kpi]:
    """Create the demo KPIs of a demo organisation (``northwind`` or ``saomai``) with
    their history, ending with the last complete period. Other organisations, and
    organisations that already have KPIs, are left untouched."""
    specs = DEMO_KPIS.get(org.slug)
    if not specs or Kpi.objects.filter(organization=org).exists():
        return []
    today = today or org.today()
    fsm = org.fiscal_year_start_month
    rng = random.Random(f"{org.slug}:kpis")  # noqa: S311 — demo data, not security
    admin = Membership.objects.filter(organization=org, role="admin").select_related("user").order_by("id").first()
    actor = admin.user if admin else None
    teams = {t.name: t for t in Team.objects.filter(organization=org)}
    created: list[Kpi] = []
    for spec in specs:
        kind, _sep, ref = spec.owner.partition(":")
        team = teams.get(ref) if kind == "team" else None
        user = User.objects.filter(email=ref, memberships__organization=org).first() if kind == "person" else None
        if (kind == "team" and team is None) or (kind == "person" and user is None):
            kind, team, user = "company", None, None
        current = periods.period_start(today, frequency=spec.frequency, fiscal_year_start_month=fsm)
        last = periods.shift(current, frequency=spec.frequency, periods=-1)  # the last complete period
        first = periods.shift(last, frequency=spec.frequency, periods=-(spec.periods - 1))
        kpi = services.kpi_create(
            org=org,
            actor=actor,
            name=spec.name,
            description=spec.why,
            how_measured=spec.how,
            owner_type=kind,
            owner_team=team,
            owner_user=user,
            unit=spec.unit,
            direction=spec.direction,
            target=spec.target,
            target_low=spec.low,
            target_high=spec.high,
            amber_threshold=spec.amber,
            frequency=spec.frequency,
            perspective=spec.perspective,
            tracking_since=first,
        )
        reporter = _reporter(org, kpi, actor) if actor else None
        for i, value in enumerate(_history(spec, rng)):
            services.measurement_record(
                kpi=kpi,
                actor=reporter,
                period=periods.shift(first, frequency=spec.frequency, periods=i),
                value=value,
                today=today,
            )
        created.append(kpi)
    return created
