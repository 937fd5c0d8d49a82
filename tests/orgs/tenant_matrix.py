"""What the isolation and role matrices share: every tenant URL pattern, the
kind of object each of its arguments names, an organisation holding one row of
every kind, and a fingerprint of an organisation's rows.

Everything here reads public surfaces only — the URL resolver, the viewsets'
models, the OpenAPI schema, model classes found by their ``organization``
foreign key — so that moving views or services between modules does not
silently shrink what the tests cover.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date

from django.apps import apps
from django.db.models import F, ForeignKey, Model
from django.urls import URLPattern, URLResolver, get_resolver

from orgs.models import Membership, Organization, User

ORG_PREFIXES = ("o/<slug:slug>/", "api/v1/orgs/<slug:slug>/")

# HTML views name their object in the URL; this is the one place that says
# which kind of object each name means. API routes need no entry: their
# viewset says which model it serves. (model label, attribute that holds the id)
HTML_KWARG_KINDS: dict[str, tuple[str, str]] = {
    "team_id": ("orgs.Team", "pk"),
    "user_id": ("orgs.Membership", "user_id"),
    "invitation_id": ("orgs.Invitation", "pk"),
    "cycle_id": ("cycles.Cycle", "pk"),
    "objective_id": ("objectives.Objective", "pk"),
    "kr_id": ("objectives.KeyResult", "pk"),
    "initiative_id": ("objectives.Initiative", "pk"),
    "check_in_id": ("objectives.CheckIn", "pk"),
    "kpi_id": ("kpis.Kpi", "pk"),
    "measurement_id": ("kpis.Measurement", "pk"),
    "notification_id": ("notifications.Notification", "pk"),
    "scorecard_id": ("scorecards.Scorecard", "pk"),
    "link_id": ("scorecards.StrategyLink", "pk"),
    "comment_id": ("conversations.Comment", "pk"),
    "channel_id": ("notifications.Channel", "pk"),
    "template_id": ("objectives.OkrTemplate", "pk"),
    "token_id": ("identity.ScimToken", "pk"),
    "import_id": ("transfer.ImportRun", "pk"),
    "contribution_id": ("objectives.Contribution", "pk"),
    "source_id": ("datasources.DataSource", "pk"),
    "pull_id": ("datasources.SourcePull", "pk"),
}

# Written into every name, title and note of the other organisation, so that a
# leak through any read shows up in the response body.
SECRET = "zq-beta-secret"


class UnmappedKwarg(AssertionError):
    pass


@dataclass(frozen=True)
class Kind:
    model: type[Model]
    attr: str  # the attribute whose value goes into the URL ("pk", or "user_id" for members)

    @property
    def label(self) -> str:
        return self.model._meta.label


@dataclass(frozen=True)
class Route:
    route: str  # e.g. "o/<slug:slug>/okrs/<int:objective_id>/edit/"
    callback: object
    kwargs: tuple[str, ...]  # every URL argument but the slug

    @property
    def key(self) -> str:
        """The route as ``ResolverMatch.route`` spells it."""
        return re.sub(r"(?<=/)\^", "", self.route)

    @property
    def is_api(self) -> bool:
        return self.route.startswith("api/")

    @property
    def viewset_model(self) -> type[Model] | None:
        cls = getattr(self.callback, "cls", None)
        queryset = getattr(cls, "queryset", None)
        if queryset is not None:
            return queryset.model
        return getattr(cls, "model", None)

    def kind_of(self, kwarg: str) -> Kind:
        cls = getattr(self.callback, "cls", None)
        model = self.viewset_model
        if cls is not None and model is not None:
            lookup_field = getattr(cls, "lookup_field", "pk")
            if kwarg == (getattr(cls, "lookup_url_kwarg", None) or lookup_field):
                return Kind(model, "pk" if lookup_field == "pk" else lookup_field)
        if kwarg in HTML_KWARG_KINDS:
            label, attr = HTML_KWARG_KINDS[kwarg]
            return Kind(apps.get_model(label), attr)
        raise UnmappedKwarg(
            f"{self.route}: cannot tell which kind of object the URL argument {kwarg!r} names. "
            "Add it to HTML_KWARG_KINDS in tests/orgs/tenant_matrix.py (or give the viewset a model)."
        )

    @property
    def kinds(self) -> dict[str, Kind]:
        return {kw: self.kind_of(kw) for kw in self.kwargs}

    def url(self, slug: str, ids: dict[str, object] | None = None) -> str:
        values = {"slug": slug, **{k: str(v) for k, v in (ids or {}).items()}}
        text = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: values[m.group(1)], self.route)  # regex routes
        text = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], text)
        return "/" + text.replace("^", "").replace("$", "")


def _kwarg_names(pattern) -> list[str]:
    converters = getattr(pattern, "converters", None)
    if converters:
        return list(converters)
    return list(pattern.regex.groupindex)


def _walk(patterns, prefix: str = "", kwargs: tuple[str, ...] = ()):
    for p in patterns:
        route = prefix + str(p.pattern)
        names = kwargs + tuple(_kwarg_names(p.pattern))
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, route, names)
        elif isinstance(p, URLPattern):
            yield Route(route, p.callback, tuple(n for n in names if n != "slug"))


def tenant_routes() -> list[Route]:
    """Every URL pattern under /o/<slug>/ and /api/v1/orgs/<slug>/, from Django's resolver."""
    routes = [r for r in _walk(get_resolver().url_patterns) if r.route.startswith(ORG_PREFIXES)]
    return sorted(routes, key=lambda r: r.route)


def tenant_models() -> list[type[Model]]:
    """Every model with a foreign key named ``organization`` to Organization."""
    found = []
    for model in apps.get_models():
        f = next((f for f in model._meta.concrete_fields if f.name == "organization"), None)
        if isinstance(f, ForeignKey) and f.related_model is Organization:
            found.append(model)
    return sorted(found, key=lambda m: m._meta.label)


def id_scoped_models() -> list[type[Model]]:
    """Every model that names its organisation by a plain ``organization_id`` column, not a
    foreign key (the ground floor's, such as ``core.models.IdempotencyKey``, know no
    organisations)."""
    found = []
    for model in apps.get_models():
        f = next((f for f in model._meta.concrete_fields if f.name == "organization_id"), None)
        if f is not None and not f.is_relation:
            found.append(model)
    return sorted(found, key=lambda m: m._meta.label)


def fingerprint(org: Organization) -> dict[str, tuple[int, str]]:
    """Row count and a hash of every column of every row of the organisation, per
    tenant model (by foreign key or by plain id), plus the user rows of its members
    (names can be edited through the members API)."""
    out: dict[str, tuple[int, str]] = {}
    for model in tenant_models() + id_scoped_models():
        rows = list(model._default_manager.filter(organization_id=org.pk).order_by("pk").values())
        out[model._meta.label] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    users = list(User.objects.filter(memberships__organization=org).order_by("pk").values().distinct())
    for row in users:
        row.pop("last_login", None)
    out["users"] = (len(users), hashlib.sha256(repr(users).encode()).hexdigest())
    return out


def cross_tenant_references() -> list[str]:
    """Rows of one organisation that point at a row (or a member) of another."""
    problems = []
    member_orgs: dict[int, set[int]] = {}
    for user_id, org_id in Membership.objects.values_list("user_id", "organization_id"):
        member_orgs.setdefault(user_id, set()).add(org_id)
    for model in tenant_models():
        for f in model._meta.concrete_fields:
            if not isinstance(f, ForeignKey) or f.name == "organization":
                continue
            target = f.related_model
            if target in tenant_models():
                bad = (
                    model._default_manager.exclude(**{f"{f.name}__isnull": True})
                    .exclude(**{f"{f.name}__organization": F("organization")})
                    .values_list("pk", flat=True)
                )
                problems += [f"{model._meta.label} {pk}: {f.name} in another organisation" for pk in bad]
            elif target is User:
                for pk, org_id, user_id in model._default_manager.exclude(**{f"{f.name}__isnull": True}).values_list(
                    "pk", "organization_id", f.attname
                ):
                    orgs = member_orgs.get(user_id, set())
                    # A member who left keeps their history; one who only ever
                    # belonged elsewhere must not appear at all.
                    if orgs and org_id not in orgs:
                        problems.append(f"{model._meta.label} {pk}: {f.name} is a member of another organisation")
    return problems


# --- an organisation with one row of every kind -------------------------------------------------


@dataclass
class Catalogue:
    """The rows of one organisation, by model."""

    org: Organization
    rows: dict[type[Model], list[Model]] = field(default_factory=dict)

    def add(self, obj: Model) -> Model:
        self.rows.setdefault(type(obj), []).append(obj)
        return obj

    def targets(self, kind: Kind, user: User | None = None) -> list[Model]:
        members = [m.user for m in self.rows.get(Membership, [])]
        rows = members if kind.model is User else self.rows.get(kind.model, [])
        if not rows:
            raise AssertionError(
                f"{self.org.slug} has no {kind.label} to aim at: add one to populate() in tests/orgs/tenant_matrix.py"
            )
        # Notifications are the caller's own: aim at one addressed to the caller
        # (they may have been a member of the other organisation once).
        mine = [r for r in rows if user is not None and getattr(r, "recipient_id", None) == user.pk]
        return mine[:1] or rows[:1]

    def first(self, model: type[Model]) -> Model:
        return self.rows[model][0]

    def ids(self, kind: Kind, user: User | None = None) -> list[object]:
        return [getattr(obj, kind.attr) for obj in self.targets(kind, user)]


def populate(world, *, secret: str = "", also_notify: tuple[User, ...] = ()) -> Catalogue:
    """One row of every kind in ``world``'s organisation, built through the services.
    ``secret`` goes into every name and note; ``also_notify`` get notifications in it too
    (people who once belonged to it)."""
    from conversations import services as talk
    from conversations.models import Comment
    from cycles.models import Cycle
    from notifications.models import Channel, Notification, OutboxMessage
    from objectives import services as okr_services
    from objectives.models import CheckIn, Initiative, KeyResult, Objective
    from orgs import services as org_services
    from orgs.models import Invitation, Team
    from rituals import services as ritual_services
    from tests.kpis.kpi_factories import make_kpi, record
    from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

    org = world.org
    cat = Catalogue(org)
    tag = f" {secret}" if secret else ""
    if secret:
        for team in (world.team, world.sub_team, world.other_team):
            team.name += tag
            team.save(update_fields=["name"])
        for user in (world.admin, world.manager, world.member, world.viewer):
            user.name += tag
            user.save(update_fields=["name"])
    # Order matters a little: the first row of a kind is the usual target, the
    # next one an alternative that is neither the target nor below it.
    for team in (world.team, world.other_team, world.sub_team):
        cat.add(team)
    for user in (world.member, world.manager, world.admin, world.viewer):
        cat.add(Membership.objects.get(organization=org, user=user))
    cycle = cat.add(make_cycle(org, name=f"Q4 2026{tag}"))
    company = make_objective(org, cycle, title=f"Grow{tag}", owner_type="company")
    objective = cat.add(
        make_objective(org, cycle, title=f"Win the market{tag}", owner_type="team", team=world.team, parent=company)
    )
    cat.add(company)
    # The team objective also counts in a second company objective (a contribution).
    brand = make_objective(org, cycle, title=f"Be known{tag}", owner_type="company")
    cat.add(okr_services.contribution_create(child=objective, actor=None, parent=brand, weight=2))
    kr = cat.add(make_kr(objective, title=f"Leads{tag}", owner=world.member))
    cat.add(make_kr(objective, title=f"Deals{tag}", owner=world.member))
    check_in = cat.add(
        okr_services.key_result_check_in(key_result=kr, actor=world.member, value=3, confidence=7, note=f"ok{tag}")
    )
    comment = cat.add(
        talk.comment_create(org=org, actor=world.member, check_in=check_in, body=f"@[{world.manager.pk}] look{tag}")
    )
    cat.add(talk.reaction_add(org=org, actor=world.manager, kind="celebrate", comment=comment))
    cat.add(talk.reaction_add(org=org, actor=world.member, kind="heart", check_in=check_in))
    cat.add(
        Channel.objects.create(
            organization=org, kind="webhook", name=f"relay{tag}", url="https://93.184.216.34/hook", events=["comment"]
        )
    )
    # The outbox holds an e-mail and a channel post waiting to leave (admins read it through
    # deliveries/); written as a claim writes them, without queueing a delivery.
    from notifications import outbox
    from notifications.mailer import Mail

    rows = [
        outbox.email_row(
            org=org,
            user=world.member,
            mail=Mail(to=world.member.email, subject=f"Check in{tag}", text=f"Leads{tag}"),
            topic="check_in_due",
        ),
        *outbox.post_rows(
            org=org,
            channels=list(Channel.objects.filter(organization=org)),
            event="comment",
            text=f"A comment{tag}",
            url="",
        ),
    ]
    for pk in outbox.outbox_add(rows, dispatch=False):
        cat.add(OutboxMessage.objects.get(pk=pk))
    # A spent one-time form token (an idempotency key: plain ids, no foreign key).
    from core import idempotency

    idempotency.form_token_spend(
        org_id=org.pk, user_id=world.member.pk, scope="matrix", token=idempotency.form_token_new()
    )
    cat.add(
        okr_services.initiative_create(
            actor=world.admin,
            objective=objective,
            key_result=kr,
            title=f"Run ads{tag}",
            owner=world.member,
            status="planned",
            due_date=date(2026, 12, 1),
        )
    )
    kpi = cat.add(make_kpi(org, name=f"Qualified leads{tag}", owner_type="person", user=world.member))
    cat.add(record(kpi, "2026-10-01", 42, note=f"Oct{tag}"))
    for recipient in (world.member, *also_notify):
        cat.add(
            Notification.objects.create(
                organization=org, recipient=recipient, kind="kpi_due", message=f"Record it{tag}", url=""
            )
        )
    from scorecards import services as scorecard_services

    # A team's scorecard holding the member's KPI and a team KPI, its team objective on the
    # map, and one link: the other links between them are free for a create to draw.
    okr_services.objective_update(objective=objective, actor=None, perspective="customer")
    scorecard = cat.add(
        scorecard_services.scorecard_create(org=org, actor=None, name=f"Marketing board{tag}", owner_team=world.team)
    )
    second = make_kpi(org, name=f"Deals won{tag}", owner_type="team", team=world.team, perspective="financial")
    for item in (kpi, second):
        scorecard_services.scorecard_item_add(scorecard=scorecard, actor=None, kpi=item)
    cat.add(scorecard_services.strategy_link_create(scorecard=scorecard, actor=None, source=second, target=kpi))
    invitation, _link = org_services.invitation_create(
        org=org,
        actor=world.admin,
        email=f"invitee@{org.slug}.test",
        name=f"Invitee{tag}",
        role="member",
        team=world.team,
        base_url="http://testserver/",
    )
    cat.add(invitation)
    cat.add(ritual_services.okr_template_save(objective=objective, actor=world.admin))
    _populate_integrations(cat, world, kr, tag)
    _populate_sources(cat, world, kpi, tag)
    _populate_identity(cat, world, tag)
    # An applied import (its file names the secret), with the external key it left.
    from transfer import services as transfer_services
    from transfer.models import ImportedKey

    run = transfer_services.import_run_create(
        org=org,
        actor=world.admin,
        kind="kpis",
        data=f"name,owner,target\nImported KPI{tag},{world.member.email},100\n".encode(),
        filename=f"kpis{tag}.csv",
        background=False,
    )
    cat.add(transfer_services.import_run_apply(run=run, actor=world.admin, background=False))
    cat.add(ImportedKey.objects.get(organization=org, run=run))
    # Make sure the kinds the routes use are all here (the test also checks this).
    for model in (
        Team,
        Membership,
        Cycle,
        Objective,
        KeyResult,
        CheckIn,
        Initiative,
        Invitation,
        Notification,
        Comment,
        Channel,
        OutboxMessage,
    ):
        assert cat.rows.get(model), model
    return cat


def _populate_identity(cat: Catalogue, world, tag: str) -> None:
    """Single sign-on's provider and the identity it vouched for, a SCIM token and a
    provisioned person (written directly: the service would read the provider's discovery)."""
    from core import secrets
    from identity.models import OidcProvider, ScimUser, SsoIdentity
    from identity.services.scim import scim_token_create

    org = world.org
    cat.add(
        OidcProvider.objects.create(
            organization=org,
            issuer=f"https://login.{org.slug}.test",
            client_id=f"okrkpi{tag}",
            client_secret_encrypted=secrets.encrypt("secret"),
            domains=[f"sso.{org.slug}.test"],
            role_mapping={f"admins{tag}": "admin"},
        )
    )
    cat.add(
        SsoIdentity.objects.create(
            organization=org, user=world.member, issuer=f"https://login.{org.slug}.test", subject=f"sub{tag}"
        )
    )
    token, _key = scim_token_create(org=org, actor=world.admin, name=f"Directory{tag}", request=None)
    cat.add(token)
    cat.add(ScimUser.objects.create(organization=org, user=world.viewer, external_id=f"ext{tag}"))


def _populate_sources(cat: Catalogue, world, kpi, tag: str) -> None:
    """A data source feeding the member's KPI, and a scheduled pull's claim of one period."""
    from datasources import services as source_services
    from datasources.models import SourcePull

    org = world.org
    source = cat.add(
        source_services.source_create(
            org=org,
            actor=None,
            name=f"Finance sheet{tag}",
            kind="csv_url",
            config={"url": "https://93.184.216.34/s.csv"},
        )
    )
    cat.add(
        SourcePull.objects.create(
            organization=org, kpi=kpi, source=source, period=date(2026, 9, 1), status="failed", error=f"down{tag}"
        )
    )


def _populate_integrations(cat: Catalogue, world, kr, tag: str) -> None:
    """Chat and e-mail check-ins: a Slack workspace, a linked account, a pending link, a
    reminder's reply address, a delivery received and a phone taking push notifications."""
    from django.utils import timezone

    from integrations.models import ChatLink, InboundDelivery, LinkRequest, PushSubscription, ReplyAddress
    from integrations.services.links import installation_save
    from integrations.services.mail import token_new

    org, now, slug = world.org, timezone.now(), world.org.slug
    cat.add(
        installation_save(
            org=org, actor=world.admin, platform="slack", external_id=f"T-{slug}", signing_secret="s", bot_token="xoxb"
        )
    )
    common = {"organization": org, "platform": "slack", "external_team": f"T-{slug}"}
    cat.add(ChatLink.objects.create(**common, external_user=f"U-{slug}", user=world.member))
    cat.add(LinkRequest.objects.create(**common, external_user=f"U2-{slug}", token_hash=f"h-{slug}", created_at=now))
    cat.add(
        ReplyAddress.objects.create(
            organization=org, user=world.member, token=token_new(), key_results=[kr.pk], created_at=now
        )
    )
    answer = {"note": f"ok{tag}"}
    cat.add(
        InboundDelivery.objects.create(
            organization=org, platform="email", key=f"<m@{slug}>", user=world.member, answer=answer, created_at=now
        )
    )
    cat.add(
        PushSubscription.objects.create(
            organization=org, user=world.member, endpoint=f"https://push.example/{slug}", p256dh="k", auth="a"
        )
    )
