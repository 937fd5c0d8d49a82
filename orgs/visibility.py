"""Who may see an objective or a KPI: the one visibility filter of the tenancy layer (DESIGN §3).

Transparency is the default: an object whose ``visibility`` is ``organization`` is read by
everyone in its organisation. Two narrower settings exist:

- ``team``: the owner team's subtree (its members and those of the teams below it), the
  managers of that team and of the teams above it, and admins. For an objective or KPI a
  person owns, "the owner team" is every team that person belongs to; the person always sees
  their own.
- ``private``: the owner (the person; for a team-owned object the members of that team), the
  owner's managers up the tree, admins and the named ``viewers``.

Key results, check-ins, initiatives, comments, reactions and measurements follow their
objective or KPI: filter them with ``visible_q(m, prefix="objective__")`` (or the path to
theirs). Everything that reads these objects for a person goes through ``visible_q`` or
``can_see``; what may not be seen is a 404, exactly like an object of another organisation.

Aggregates stay truthful: progress, health and scores count every object. Only the rows a
person is shown are filtered; a hidden child appears as "1 restricted objective"
(``Organization.restricted_display`` says whether with its progress or only as a count).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from orgs.models import Membership, Role, Team, TeamMember, User
from orgs.permissions import managed_team_ids


class Visibility(models.TextChoices):
    ORGANIZATION = "organization", _("Everyone in the organisation")
    TEAM = "team", _("The owner's team")
    PRIVATE = "private", _("Private")


# Wider first: a child may be as wide as its parent or narrower, never wider.
WIDTH = {Visibility.ORGANIZATION: 2, Visibility.TEAM: 1, Visibility.PRIVATE: 0}


class Restrictable(models.Model):
    """The visibility columns of an objective or a KPI."""

    visibility = models.CharField(
        _("who can see it"),
        max_length=16,
        choices=Visibility.choices,
        default=Visibility.ORGANIZATION,
        help_text=_(
            "Everyone by default; or only the owner's team, or only the owner, their managers and the people named."
        ),
    )
    viewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("also visible to"),
        blank=True,
        related_name="+",
        help_text=_("People who may see it besides its owner, their managers and admins."),
    )

    # What ``visible_scope`` follows to decide who sees a row: the object itself. Models that
    # follow an objective or KPI name the path to it (``KeyResult``: ``("objective__",)``).
    visibility_paths: ClassVar[tuple[str, ...]] = ("",)

    class Meta:
        abstract = True


def is_narrower_or_equal(child: str, parent: str) -> bool:
    """Whether ``child`` shows to no more people than ``parent`` does (by setting)."""
    return WIDTH[Visibility(child)] <= WIDTH[Visibility(parent)]


def _team_ancestors(org_id: int, team_ids: set[int]) -> set[int]:
    """``team_ids`` with every team above them."""
    if not team_ids:
        return set()
    parent_of = dict(Team.objects.filter(organization_id=org_id).values_list("id", "parent_id"))
    seen: set[int] = set()
    for tid in team_ids:
        t: int | None = tid
        while t is not None and t not in seen:
            seen.add(t)
            t = parent_of.get(t)
    return seen


def own_team_ids(m: Membership) -> frozenset[int]:
    """The teams the member belongs to. Cached on the membership (one request)."""
    cached = getattr(m, "_own_team_ids", None)
    if cached is None:
        cached = frozenset(
            TeamMember.objects.filter(organization_id=m.organization_id, user_id=m.user_id).values_list(
                "team_id", flat=True
            )
        )
        m._own_team_ids = cached  # type: ignore[attr-defined]  # a per-request cache on the membership
    return cached


def team_scope_ids(m: Membership) -> frozenset[int]:
    """Teams whose ``team``-visible objects the member sees: every team at or above a team
    they belong to (they are in its subtree), and every team they manage or that lies
    below one they manage. Cached on the membership (one request)."""
    cached = getattr(m, "_team_scope_ids", None)
    if cached is None:
        cached = frozenset(_team_ancestors(m.organization_id, set(own_team_ids(m))) | managed_team_ids(m))
        m._team_scope_ids = cached  # type: ignore[attr-defined]  # a per-request cache on the membership
    return cached


def sees_everything(m: Membership) -> bool:
    """Admins see every object of their organisation."""
    return m.role == Role.ADMIN


def visible_q(m: Membership, *, prefix: str = "", viewers_through: Any = None) -> Q:
    """The condition an objective or KPI (reached through ``prefix``, e.g. ``"objective__"``)
    meets when ``m`` may see it. ``viewers_through`` is the model's viewers through-table;
    it is found from the model by ``visible_filter`` — pass it only when building by hand."""
    if sees_everything(m):
        return Q()
    p = prefix
    scope = team_scope_ids(m)
    managed = managed_team_ids(m)
    owner_teams_in = lambda teams: Exists(  # noqa: E731 — a small closure over the prefix
        TeamMember.objects.filter(user_id=OuterRef(f"{p}owner_user_id"), team_id__in=teams)
    )
    mine = Q(**{f"{p}owner_user_id": m.user_id})
    team_ok = (
        mine
        | Q(**{f"{p}owner_team_id__in": scope})
        | (Q(**{f"{p}owner_user_id__isnull": False}) & owner_teams_in(scope))
    )
    private_ok: Any = (  # a Q; the stubs call Q & Exists a Combinable
        mine
        | Q(**{f"{p}owner_team_id__in": set(own_team_ids(m)) | managed})
        | (Q(**{f"{p}owner_user_id__isnull": False}) & owner_teams_in(managed))
    )
    if viewers_through is not None:
        fk = _viewers_fk(viewers_through)
        private_ok |= Exists(viewers_through.objects.filter(**{fk: OuterRef(f"{p}pk")}, user_id=m.user_id))
    return (
        Q(**{f"{p}visibility": Visibility.ORGANIZATION})
        | (Q(**{f"{p}visibility": Visibility.TEAM}) & team_ok)
        | (Q(**{f"{p}visibility": Visibility.PRIVATE}) & private_ok)
    )


def _viewers_fk(through: Any) -> str:
    """The through-table's column that points at the objective or KPI."""
    for f in through._meta.get_fields():
        if getattr(f, "many_to_one", False) and f.name != "user":
            return f"{f.name}_id"
    raise LookupError(through)


def visible_filter(m: Membership, model: type[models.Model], *, prefix: str = "") -> Q:
    """``visible_q`` for objects of ``model`` (an objective or KPI model, or a model that
    reaches one through ``prefix``): finds the viewers table itself."""
    target: Any = model
    for part in [x for x in prefix.split("__") if x]:
        target = target._meta.get_field(part).related_model
    through = target._meta.get_field("viewers").remote_field.through
    return visible_q(m, prefix=prefix, viewers_through=through)


def can_see(m: Membership, obj: models.Model) -> bool:
    """Whether ``m`` may see this objective or KPI (one query unless the object is open to
    the organisation or the member is an admin)."""
    if sees_everything(m) or getattr(obj, "visibility", Visibility.ORGANIZATION) == Visibility.ORGANIZATION:
        return True
    model = type(obj)
    return model._default_manager.filter(pk=obj.pk).filter(visible_filter(m, model)).exists()


def visible_scope(m: Membership, model: type[models.Model]) -> Q:
    """The condition a row of ``model`` meets when ``m`` may see it: ``model.visibility_paths``
    names the objective or KPI each row follows (``""`` for an objective or KPI itself,
    ``"objective__"`` for a key result, ``"check_in__key_result__objective__"`` for a
    reaction to a check-in…). A row is visible when every object it follows is; a path
    through an empty foreign key (a reaction to a comment has no check-in) asks nothing.
    A model without ``visibility_paths`` is not restricted (``Q()``)."""
    paths: tuple[str, ...] = getattr(model, "visibility_paths", ())
    if not paths or sees_everything(m):
        return Q()
    condition = Q()
    for path in paths:
        seen = visible_filter(m, model, prefix=path)
        if path:
            first = path.split("__")[0]
            if model._meta.get_field(first).null:
                seen = Q(**{f"{first}__isnull": True}) | seen
        condition &= seen
    return condition


# --- setting it: what the services of objectives and KPIs check ------------------------------


def clean_visibility(value: Any, *, inherited: str = Visibility.ORGANIZATION) -> str:
    """A visibility setting; ``None`` or ``""`` is ``inherited`` (a new child takes its parent's)."""
    if value in (None, ""):
        return inherited
    if value not in Visibility.values:
        raise ValidationError({"visibility": _("Choose who can see it: organization, team or private.")})
    return str(value)


def check_not_wider(visibility: str, parent_visibility: str) -> None:
    """A child may be as wide as its parent or narrower, never wider: a ValidationError on
    ``visibility`` that says why."""
    if not is_narrower_or_equal(visibility, parent_visibility):
        raise ValidationError(
            {
                "visibility": _(
                    "It cannot be shown to more people than the objective it counts in, which is "
                    "visible to: %(parent)s. Choose that or narrower."
                )
                % {"parent": Visibility(parent_visibility).label}
            }
        )


def clean_viewers(org_id: int, viewers: Any) -> list[Any]:
    """The named viewers: people of the organisation only (a ValidationError on ``viewers``
    naming anyone else, who is refused as if unknown)."""
    ids: set[Any] = set()
    for v in viewers or []:
        raw = getattr(v, "pk", v)
        try:
            ids.add(int(raw))
        except (TypeError, ValueError):
            ids.add(str(raw))  # never a member: named in the message
    members = set(Membership.objects.filter(organization_id=org_id, user_id__in=ids).values_list("user_id", flat=True))
    strangers = ids - members
    if strangers:
        raise ValidationError(
            {
                "viewers": _("Only people of this organisation can be named as viewers (unknown: %(ids)s).")
                % {"ids": ", ".join(str(i) for i in sorted(strangers, key=str))}
            }
        )
    return list(User.objects.filter(pk__in=ids).order_by("pk"))
