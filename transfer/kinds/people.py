"""The ``people`` kind: e-mail, name, role and team path (``Sales/Hanoi``).

A member already in the organisation gets the file's role and joins the team; anyone
else is invited (an account joins another organisation only by accepting). Teams are
created along the path as needed, at most 10 levels deep.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from orgs.models import Invitation, Membership, Role, Team, TeamMember
from orgs.services import invitation_create, member_set_role, team_create
from transfer.columns import Column, map_columns, require_columns
from transfer.kinds.base import Context, KeyBook, Report, natural_key
from transfer.kinds.organization_check import MAX_TEAM_DEPTH
from transfer.reading import Table

COLUMNS = (
    Column("email", "E-mail", True, ("email", "e-mail address", "mail"), ("thư điện tử", "địa chỉ email")),
    Column("name", "Name", False, ("full name", "display name"), ("họ tên", "tên", "họ và tên")),
    Column("role", "Role", False, (), ("vai trò",)),
    Column("team", "Team path", False, ("team", "department", "team path"), ("nhóm", "đội", "phòng ban")),
)
_ROLE_NAMES = {
    **{r.value: r.value for r in Role},
    **{str(r.label).casefold(): r.value for r in Role},
    "quản trị": Role.ADMIN,
    "quản trị viên": Role.ADMIN,
    "quản lý": Role.MANAGER,
    "thành viên": Role.MEMBER,
    "người xem": Role.VIEWER,
}


class _Teams:
    """Teams by path, made when first needed (only when writing)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        teams = list(Team.objects.filter(organization=ctx.org))
        by_id = {t.pk: t for t in teams}
        self.by_path: dict[tuple[str, ...], Team] = {}
        for t in teams:
            path: list[str] = []
            node: Team | None = t
            while node is not None and len(path) <= MAX_TEAM_DEPTH + 1:
                path.insert(0, node.name.casefold())
                node = by_id.get(node.parent_id) if node.parent_id else None
            self.by_path[tuple(path)] = t

    def get(self, parts: list[str]) -> Team | None:
        parent: Team | None = None
        for n in range(1, len(parts) + 1):
            key = tuple(p.casefold() for p in parts[:n])
            team = self.by_path.get(key)
            if team is None:
                if not self.ctx.write:
                    return None
                team = team_create(org=self.ctx.org, actor=self.ctx.actor, name=parts[n - 1], parent=parent)
                self.by_path[key] = team
            parent = team
        return parent


def _parse_row(report: Report, line: int, email: str, role_text: str, team_text: str) -> tuple[str, list[str]] | None:
    ok = True
    try:
        validate_email(email)
    except ValidationError:
        report.error(line, "email", _("“%(value)s” is not an e-mail address.") % {"value": email[:80]})
        ok = False
    role = _ROLE_NAMES.get(role_text.casefold(), "") if role_text else Role.MEMBER
    if not role:
        report.error(line, "role", _("Unknown role “%(value)s”.") % {"value": role_text[:40]})
        ok = False
    parts = [p.strip() for p in team_text.replace("\\", "/").split("/") if p.strip()]
    if len(parts) > MAX_TEAM_DEPTH:
        report.error(line, "team", _("Teams nest at most %(n)d levels deep.") % {"n": MAX_TEAM_DEPTH})
        ok = False
    return (role, parts) if ok else None


def run_people(ctx: Context, table: Table) -> Report:
    mapped = map_columns(table, COLUMNS, ctx.options.get("mapping"))
    require_columns(mapped, COLUMNS)
    report = Report()
    org = ctx.org
    members = {m.user.email.casefold(): m for m in Membership.objects.filter(organization=org).select_related("user")}
    in_team = set(TeamMember.objects.filter(organization=org).values_list("team_id", "user_id"))
    pending = {
        e.casefold()
        for e in Invitation.objects.filter(organization=org, accepted_at=None, revoked_at=None).values_list(
            "email", flat=True
        )
    }
    teams, keys = _Teams(ctx), KeyBook(org, "people")
    seen: dict[str, int] = {}
    for done, (line, cells) in enumerate(table.rows, start=1):
        ctx.tick(done)
        email = mapped.get(cells, "email").lower()
        if email in seen:
            report.error(line, "email", _("Same e-mail as row %(row)d.") % {"row": seen[email]})
            continue
        seen[email] = line
        parsed = _parse_row(report, line, email, mapped.get(cells, "role"), mapped.get(cells, "team"))
        if parsed is None:
            continue
        role, parts = parsed
        team = teams.get(parts) if parts else None
        member = members.get(email)
        if member is not None:
            new_team = bool(parts) and (team is None or (team.pk, member.user_id) not in in_team)
            changes = member.role != role or new_team
            report.count("update" if changes else "unchanged")
            if ctx.write and changes:
                _update_member(ctx, member, role, team)
            continue
        if email in pending:
            report.count("unchanged")
            continue
        report.count("create")
        if ctx.write:
            invitation, _link = invitation_create(
                org=org,
                actor=ctx.actor,  # type: ignore[arg-type]  # an import always has its actor
                email=email,
                role=role,
                name=mapped.get(cells, "name"),
                team=team,
                base_url=str(ctx.options.get("base_url") or "/"),
            )
            keys.remember(Invitation, natural_key(email), invitation, run=ctx.run)
    keys.flush()
    return report


def _update_member(ctx: Context, member: Membership, role: str, team: Team | None) -> None:
    if member.role != role and ctx.actor is not None:
        member_set_role(membership=member, actor=ctx.actor, role=role)
    if team is not None:
        TeamMember.objects.get_or_create(organization=ctx.org, team=team, user_id=member.user_id)
