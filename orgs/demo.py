"""Demo organisations for `make run`: one in English, one in Vietnamese,
sharing their admin so the organisation switcher has something to do."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from orgs import services
from orgs.models import Organization, Role, Team, User

DEMO_PASSWORD = "quarterly-goals"  # noqa: S105 — a published demo password, printed by seed_demo


@dataclass(frozen=True)
class DemoPerson:
    email: str
    name: str
    role: str
    team: str | None
    manages: bool = False


@dataclass(frozen=True)
class DemoOrg:
    slug: str
    name: str
    language: str
    timezone: str
    teams: tuple[tuple[str, str | None], ...]  # (name, parent name)
    people: tuple[DemoPerson, ...]


ADMIN_EMAIL = "ceo@demo.okrkpi.test"

ACME = DemoOrg(
    slug="northwind",
    name="Northwind Robotics",
    language="en",
    timezone="Europe/London",
    teams=(
        ("Marketing", None),
        ("Sales", None),
        ("Finance", None),
        ("People & HR", None),
        ("Growth", "Marketing"),
    ),
    people=(
        DemoPerson(ADMIN_EMAIL, "Alex Morgan", Role.ADMIN, None),
        DemoPerson("maria@demo.okrkpi.test", "Maria Lopez", Role.MANAGER, "Marketing", manages=True),
        DemoPerson("sam@demo.okrkpi.test", "Sam Patel", Role.MEMBER, "Growth"),
        DemoPerson("jordan@demo.okrkpi.test", "Jordan Lee", Role.MANAGER, "Sales", manages=True),
        DemoPerson("taylor@demo.okrkpi.test", "Taylor Kim", Role.MEMBER, "Sales"),
        DemoPerson("chris@demo.okrkpi.test", "Chris Novak", Role.MANAGER, "Finance", manages=True),
        DemoPerson("priya@demo.okrkpi.test", "Priya Shah", Role.MEMBER, "Finance"),
        DemoPerson("dana@demo.okrkpi.test", "Dana White", Role.MANAGER, "People & HR", manages=True),
        DemoPerson("lee@demo.okrkpi.test", "Lee Wong", Role.MEMBER, "People & HR"),
        DemoPerson("viewer@demo.okrkpi.test", "Vic Viewer", Role.VIEWER, None),
    ),
)

SAO_MAI = DemoOrg(
    slug="saomai",
    name="Công ty Sao Mai",
    language="vi",
    timezone="Asia/Ho_Chi_Minh",
    teams=(
        ("Phòng Marketing", None),
        ("Phòng Kinh doanh", None),
        ("Phòng Tài chính", None),
        ("Phòng Nhân sự", None),
    ),
    people=(
        DemoPerson(ADMIN_EMAIL, "Alex Morgan", Role.ADMIN, None),
        DemoPerson("lan@demo.okrkpi.test", "Nguyễn Thị Lan", Role.MANAGER, "Phòng Marketing", manages=True),
        DemoPerson("minh@demo.okrkpi.test", "Trần Văn Minh", Role.MEMBER, "Phòng Marketing"),
        DemoPerson("hung@demo.okrkpi.test", "Lê Quốc Hùng", Role.MANAGER, "Phòng Kinh doanh", manages=True),
        DemoPerson("thu@demo.okrkpi.test", "Phạm Minh Thư", Role.MEMBER, "Phòng Kinh doanh"),
        DemoPerson("hoa@demo.okrkpi.test", "Võ Thị Hoa", Role.MANAGER, "Phòng Tài chính", manages=True),
        DemoPerson("nam@demo.okrkpi.test", "Đặng Hoài Nam", Role.MEMBER, "Phòng Tài chính"),
        DemoPerson("mai@demo.okrkpi.test", "Bùi Thanh Mai", Role.MANAGER, "Phòng Nhân sự", manages=True),
        DemoPerson("tuan@demo.okrkpi.test", "Hoàng Anh Tuấn", Role.MEMBER, "Phòng Nhân sự"),
    ),
)

DEMO_ORGS = (ACME, SAO_MAI)


@transaction.atomic
def seed_org(spec: DemoOrg) -> Organization:
    """Create one demo organisation with its teams and people (idempotent: an
    existing organisation with the slug is returned untouched)."""
    existing = Organization.objects.filter(slug=spec.slug).first()
    if existing is not None:
        return existing
    admin = spec.people[0]
    org = services.organization_create(
        slug=spec.slug,
        name=spec.name,
        admin_email=admin.email,
        admin_password=DEMO_PASSWORD,
        admin_name=admin.name,
        timezone_name=spec.timezone,
        language=spec.language,
    )
    actor = User.objects.get(email=admin.email)
    teams: dict[str, Team] = {}
    for name, parent in spec.teams:
        teams[name] = services.team_create(org=org, actor=actor, name=name, parent=teams.get(parent or ""))
    for person in spec.people[1:]:
        team = teams.get(person.team or "")
        services.member_add(
            org=org,
            actor=actor,
            email=person.email,
            role=person.role,
            name=person.name,
            password=DEMO_PASSWORD,
            teams=[team] if team else [],
            existing_account_ok=True,  # demo people may appear in both demo organisations
        )
        if person.manages and team is not None:
            user = User.objects.get(email=person.email)
            current = {tm.user_id for tm in team.memberships.filter(is_manager=True)}
            services.team_update(team=team, actor=actor, managers=list(User.objects.filter(pk__in=current | {user.pk})))
    return org
