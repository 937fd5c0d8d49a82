"""Writes of conversations. Who may do what:

- comment: anyone in the organisation but a viewer; the objective or check-in
  must be of the same organisation (a member of another organisation cannot
  comment: their membership is checked here, not only by the page);
- edit or delete a comment: its author only, unless they have since become a viewer;
- react: anyone but a viewer, one reaction of each kind per person;
- acknowledge a check-in: whoever manages its author (admins included).

Mentions must name members of the organisation; an unknown one refuses the
whole comment. Mentioned people are notified (``notifications.services``),
after their own preferences.
"""

from __future__ import annotations

from typing import cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from activity.services import activity_record
from conversations import mentions
from conversations.models import MAX_COMMENT_LENGTH, Acknowledgement, Comment, Mention, Reaction, ReactionKind
from notifications.channels import channel_publish
from notifications.models import ChannelEvent, NotificationKind
from notifications.services import notification_send
from objectives.models import CheckIn, Objective
from orgs import permissions
from orgs.models import Membership, Organization, User
from orgs.visibility import Visibility


def _membership(org: Organization, user: User) -> Membership:
    m = Membership.objects.filter(organization=org, user=user).first()
    if m is None:
        raise PermissionDenied(_("Only members of this organisation can take part in its conversations."))
    return m


def _writer(org: Organization, user: User) -> Membership:
    m = _membership(org, user)
    if not permissions.can_write(m):
        raise PermissionDenied(_("Viewers can read conversations but not write in them."))
    return m


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": [_("Write something first.")]})
    if len(body) > MAX_COMMENT_LENGTH:
        raise ValidationError(
            {
                "body": [
                    _("A comment has at most %(max)d characters; this one has %(n)d.")
                    % {"max": MAX_COMMENT_LENGTH, "n": len(body)}
                ]
            }
        )
    return body


def mentioned_users(*, org: Organization, body: str, on: Objective | None = None) -> list[User]:
    """The members a body mentions; a mention of anyone else, or of someone who may not see the
    objective ``on`` (team-only or private), is a ValidationError naming them."""
    ids, emails = mentions.parse(body)
    if not ids and not emails:
        return []
    found = list(
        User.objects.filter(memberships__organization=org).filter(Q(pk__in=ids) | Q(email__in=emails)).distinct()
    )
    unknown = sorted(
        {f"@[{i}]" for i in ids - {u.pk for u in found}} | {f"@{e}" for e in emails - {u.email.lower() for u in found}}
    )
    if unknown:
        raise ValidationError(
            {
                "body": [
                    _("%(who)s is not a member of this organisation, so cannot be mentioned.")
                    % {"who": ", ".join(unknown)}
                ]
            }
        )
    mentions.check_may_see(on, found)
    return found


def comment_url(comment: Comment, org: Organization) -> str:
    return reverse("objectives:detail", kwargs={"slug": org.slug, "objective_id": comment.objective_id}) + (
        f"#comment-{comment.pk}"
    )


def _notify_mentions(org: Organization, comment: Comment, users: list[User], actor: User) -> None:
    existing = set(Mention.objects.filter(comment=comment).values_list("user_id", flat=True))
    new = [u for u in users if u.pk not in existing and u.pk != actor.pk]
    Mention.objects.bulk_create([Mention(organization=org, comment=comment, user=u) for u in new])
    url = comment_url(comment, org)
    text = mentions.readable(comment.body, {u.pk: u.display_name for u in users})
    for user in new:
        notification_send(
            org=org,
            recipient=user,
            kind=NotificationKind.MENTION,
            message=_("%(who)s mentioned you: %(text)s") % {"who": actor.display_name, "text": text[:200]},
            url=url,
            subject=f"objective:{comment.objective_id}",
        )


def check_in_mentions_notify(*, check_in: CheckIn, objective: Objective, actor: User | None) -> list[User]:
    """Tell the members a check-in's note mentions (``@[id]``), but its author and anyone who may
    not see the objective: a note is not refused for a mention, its notification is only not sent."""
    ids, _emails = mentions.parse(check_in.note)
    org = objective.organization
    rows = Membership.objects.filter(organization=org, user_id__in=ids - {getattr(actor, "pk", None)})
    users = [m.user for m in rows.select_related("user") if mentions.can_see(m, objective)]
    text = mentions.readable(check_in.note, mentions.member_names(org, [check_in.note]))
    url = reverse("objectives:detail", kwargs={"slug": org.slug, "objective_id": objective.pk})
    who = actor.display_name if actor else _("Someone")
    for user in users:
        notification_send(
            org=org,
            recipient=user,
            kind=NotificationKind.MENTION,
            message=_("%(who)s mentioned you in a check-in: %(text)s") % {"who": who, "text": text[:200]},
            url=f"{url}#check-in-{check_in.pk}",
            subject=f"objective:{objective.pk}",
        )
    return users


def _followers(comment: Comment) -> set[int]:
    """Who hears of a new comment: the check-in's author and key-result owner, or the objective's owner."""
    ci = comment.check_in  # no query without one
    if ci is not None:
        return {uid for uid in (ci.author_id, ci.key_result.owner_id) if uid}
    return {comment.objective.owner_user_id} if comment.objective.owner_user_id else set()


def _whose(*things: CheckIn | Comment | None) -> dict[str, str]:
    """Whose check-ins or comment an entry is about, by name, for its sentence
    ("Sam reacted 🎉 to Maria's check-in", ``activity.sentences``)."""
    names = sorted({t.author.display_name for t in things if t is not None and t.author is not None})
    return {"owner_name": ", ".join(names)} if names else {}


@transaction.atomic
def comment_create(
    *,
    org: Organization,
    actor: User,
    body: str,
    objective: Objective | None = None,
    check_in: CheckIn | None = None,
) -> Comment:
    """Comment on exactly one of an objective or a check-in of this organisation."""
    _writer(org, actor)
    target = objective or check_in
    if target is None or (objective is not None and check_in is not None):
        raise ValidationError({"non_field_errors": [_("Comment on an objective or on a check-in: exactly one.")]})
    if target.organization_id != org.pk:
        raise PermissionDenied(_("That belongs to another organisation."))
    body = mentions.stored_form(org, _clean_body(body))  # "@Name" kept as the member's id
    users = mentioned_users(org=org, body=body, on=objective or check_in.key_result.objective)  # type: ignore[union-attr]  # one is set
    if check_in is not None:
        objective = check_in.key_result.objective
    # Exactly one was given (refused above otherwise): a check-in's objective is its key result's.
    objective = cast(Objective, objective)
    comment = Comment.objects.create(organization=org, objective=objective, check_in=check_in, author=actor, body=body)
    activity_record(
        org=org,
        actor=actor,
        verb="comment.create",
        target=comment,
        after={
            "objective": comment.objective_id,
            "check_in": comment.check_in_id,
            "body": body[:500],
            **(_whose(check_in) if check_in is not None else {"about": objective.title}),
        },
    )
    _notify_mentions(org, comment, users, actor)
    mentioned = {u.pk for u in users}
    url = comment_url(comment, org)
    shown = mentions.readable(body, {u.pk: u.display_name for u in users})
    for uid in _followers(comment) - mentioned - {actor.pk}:
        recipient = User.objects.filter(pk=uid, memberships__organization=org).first()
        if recipient is not None:
            notification_send(
                org=org,
                recipient=recipient,
                kind=NotificationKind.COMMENT,
                message=_("%(who)s commented on %(what)s: %(text)s")
                % {"who": actor.display_name, "what": objective.title, "text": shown[:200]},
                url=url,
                subject=f"objective:{objective.pk}",
            )
    _post_to_channels(org, objective, check_in, actor, shown, url)
    return comment


def _post_to_channels(
    org: Organization, objective: Objective, check_in: CheckIn | None, actor: User, shown: str, url: str
) -> None:
    """The comment to the chat channels carrying comments, in the organisation's language (a
    channel is the organisation's, not the author's); a team-only or private objective's only to
    the channels an admin marked safe for it (DESIGN §3)."""
    with translation.override(org.language):
        text = _("%(who)s commented on “%(what)s”: %(text)s") % {
            "who": actor.display_name,
            "what": objective.title,
            "text": shown[:300],
        }
        facts = [(_("Objective"), objective.title)]
        if check_in is not None:
            facts.append((_("Key result"), check_in.key_result.title))
    restricted = objective.visibility != Visibility.ORGANIZATION
    channel_publish(org=org, event=ChannelEvent.COMMENT, text=text, url=url, facts=facts, restricted=restricted)


def _own(comment: Comment, actor: User) -> None:
    if comment.author_id != actor.pk:
        raise PermissionDenied(_("Only the author of a comment can change or delete it."))


@transaction.atomic
def comment_update(*, comment: Comment, actor: User, body: str) -> Comment:
    """The author rewrites their comment; people newly mentioned are notified. An author
    since made a viewer no longer writes, their own comments included."""
    org = comment.organization
    _writer(org, actor)
    _own(comment, actor)
    body = mentions.stored_form(org, _clean_body(body))
    users = mentioned_users(org=org, body=body, on=comment.objective)
    before = comment.body
    comment.body = body
    comment.edited_at = timezone.now()
    comment.save(update_fields=["body", "edited_at"])
    activity_record(
        org=org,
        actor=actor,
        verb="comment.update",
        target=comment,
        before={"body": before[:500]},
        after={"body": body[:500]},
    )
    _notify_mentions(org, comment, users, actor)
    return comment


@transaction.atomic
def comment_delete(*, comment: Comment, actor: User) -> None:
    org = comment.organization
    _writer(org, actor)  # a viewer writes nothing, their own old comments included
    _own(comment, actor)
    activity_record(
        org=org,
        actor=actor,
        verb="comment.delete",
        target=comment,
        before={"objective": comment.objective_id, "check_in": comment.check_in_id, "body": comment.body[:500]},
    )
    comment.delete()


@transaction.atomic
def reaction_add(
    *, org: Organization, actor: User, kind: str, check_in: CheckIn | None = None, comment: Comment | None = None
) -> Reaction:
    """React to exactly one of a check-in or a comment; reacting twice the same way keeps one reaction."""
    _writer(org, actor)
    if kind not in ReactionKind.values:
        raise ValidationError({"kind": [_("Choose one of: %(kinds)s.") % {"kinds": ", ".join(ReactionKind.values)}]})
    target = check_in or comment
    if target is None or (check_in is not None and comment is not None):
        raise ValidationError({"non_field_errors": [_("React to a check-in or to a comment: exactly one.")]})
    if target.organization_id != org.pk:
        raise PermissionDenied(_("That belongs to another organisation."))
    existing = Reaction.objects.filter(
        organization=org, check_in=check_in, comment=comment, author=actor, kind=kind
    ).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            reaction = Reaction.objects.create(
                organization=org, check_in=check_in, comment=comment, author=actor, kind=kind
            )
    except IntegrityError:  # the same reaction, sent twice at once
        return Reaction.objects.get(organization=org, check_in=check_in, comment=comment, author=actor, kind=kind)
    activity_record(
        org=org,
        actor=actor,
        verb="reaction.add",
        target=reaction,
        after={
            "kind": kind,
            "emoji": ReactionKind(kind).label,
            "check_in": reaction.check_in_id,
            "comment": reaction.comment_id,
            **_whose(check_in or comment),
        },
    )
    return reaction


@transaction.atomic
def reaction_delete(*, reaction: Reaction, actor: User) -> None:
    if reaction.author_id != actor.pk:
        raise PermissionDenied(_("Only the person who reacted can take the reaction back."))
    activity_record(
        org=reaction.organization,
        actor=actor,
        verb="reaction.delete",
        target=reaction,
        before={
            "kind": reaction.kind,
            "emoji": ReactionKind(reaction.kind).label,
            "check_in": reaction.check_in_id,
            "comment": reaction.comment_id,
        },
    )
    reaction.delete()


@transaction.atomic
def reaction_toggle(
    *, org: Organization, actor: User, kind: str, check_in: CheckIn | None = None, comment: Comment | None = None
) -> Reaction | None:
    """The page's button: add the reaction, or take it back if it is there."""
    existing = Reaction.objects.filter(
        organization=org, check_in=check_in, comment=comment, author=actor, kind=kind
    ).first()
    if existing is not None:
        reaction_delete(reaction=existing, actor=actor)
        return None
    return reaction_add(org=org, actor=actor, kind=kind, check_in=check_in, comment=comment)


def can_acknowledge(m: Membership, check_in: CheckIn) -> bool:
    return (
        check_in.author_id is not None
        and check_in.author_id != m.user_id
        and permissions.can_manage_person(m, check_in.author_id)
    )


@transaction.atomic
def check_ins_acknowledge(*, org: Organization, actor: User, check_ins: list[CheckIn]) -> int:
    """A manager marks check-ins of people they manage as read. Returns how many were new."""
    m = _membership(org, actor)
    for ci in check_ins:
        if ci.organization_id != org.pk:
            raise PermissionDenied(_("That belongs to another organisation."))
        if not can_acknowledge(m, ci):
            raise PermissionDenied(_("You can acknowledge check-ins of the people you manage."))
    done = set(Acknowledgement.objects.filter(user=actor, check_in__in=check_ins).values_list("check_in_id", flat=True))
    new = [Acknowledgement(organization=org, check_in=ci, user=actor) for ci in check_ins if ci.pk not in done]
    Acknowledgement.objects.bulk_create(new, ignore_conflicts=True)
    if new:
        activity_record(
            org=org,
            actor=actor,
            verb="check_in.acknowledge",
            target_type="objectives.checkin",
            after={"check_ins": [a.check_in_id for a in new], **_whose(*(a.check_in for a in new))},
        )
    return len(new)


@transaction.atomic
def mentions_mark_seen(*, org: Organization, user: User, comment_ids: list[int] | None = None) -> int:
    qs = Mention.objects.filter(organization=org, user=user, seen_at__isnull=True)
    if comment_ids is not None:
        qs = qs.filter(comment_id__in=comment_ids)
    return qs.update(seen_at=timezone.now())
