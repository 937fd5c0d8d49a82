"""The chat side's set-up: a workspace an admin connects (its secrets encrypted at rest)
and the one-time links that tie a chat account to a member.

A chat account is never matched to a member by its display name or e-mail: the first
time it asks for a check-in it gets a link (``link_request_new``), which only a member
signed in to okrkpi can confirm (``link_confirm``), once, within ``LINK_HOURS``.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from activity.services import activity_record
from core import secrets as stored_secrets
from integrations.models import ChatInstallation, ChatLink, LinkRequest, Platform
from notifications.mailer import absolute
from orgs.models import Membership, Organization, User

LINK_HOURS = 24


@transaction.atomic
def installation_save(
    *,
    org: Organization,
    actor: User | None,
    platform: str,
    external_id: str,
    signing_secret: str = "",
    bot_token: str = "",
) -> ChatInstallation:
    """Connect (or update) a Slack workspace or a Teams tenant. A workspace already
    connected to another organisation is refused: a request names one organisation."""
    external_id = external_id.strip()
    if platform not in (Platform.SLACK, Platform.TEAMS) or not external_id:
        raise ValidationError({"external_id": _("Give the workspace or tenant id.")})
    taken = ChatInstallation.objects.filter(platform=platform, external_id=external_id).first()
    if taken is not None and taken.organization_id != org.pk:
        raise ValidationError({"external_id": _("This workspace is connected to another organisation.")})
    if platform == Platform.SLACK and taken is None and not (signing_secret and bot_token):
        raise ValidationError({"signing_secret": _("Slack needs the app's signing secret and its bot token.")})
    row = taken or ChatInstallation(organization=org, platform=platform, external_id=external_id)
    if signing_secret:
        row.signing_secret = stored_secrets.encrypt(signing_secret.strip())
    if bot_token:
        row.bot_token = stored_secrets.encrypt(bot_token.strip())
    row.active = True
    row.save()
    activity_record(org=org, actor=actor, verb="integration.connected", target=row, after={"platform": platform})
    return row


@transaction.atomic
def installation_delete(*, installation: ChatInstallation, actor: User | None) -> None:
    """Disconnect a workspace: its account links go with it."""
    org = installation.organization
    ChatLink.objects.filter(
        organization=org, platform=installation.platform, external_team=installation.external_id
    ).delete()
    activity_record(
        org=org,
        actor=actor,
        verb="integration.disconnected",
        target=installation,
        before={"platform": installation.platform},
    )
    installation.delete()


def secret_of(value: str) -> str:
    """A stored secret in clear ("" when none is stored)."""
    return stored_secrets.decrypt(value) if value else ""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_request_new(*, installation: ChatInstallation, external_user: str) -> str:
    """The absolute URL of a new one-time link for a chat account (only its hash is stored)."""
    token = secrets.token_urlsafe(24)
    LinkRequest.objects.create(
        organization=installation.organization,
        platform=installation.platform,
        external_team=installation.external_id,
        external_user=external_user[:200],
        token_hash=_hash(token),
        created_at=timezone.now(),
    )
    return absolute(reverse("integrations:link", kwargs={"token": token}))


def link_request_read(token: str) -> LinkRequest | None:
    """The link's request while it may still be confirmed (unspent, not expired)."""
    since = timezone.now() - timedelta(hours=LINK_HOURS)
    return (
        LinkRequest.objects.filter(token_hash=_hash(token), used_at__isnull=True, created_at__gte=since)
        .select_related("organization")
        .first()
    )


@transaction.atomic
def link_confirm(*, token: str, membership: Membership) -> ChatLink:
    """Tie the chat account of the link to ``membership``'s person. Spent by this call
    (a conditional update: two confirmations race, one wins). A viewer may link: the
    check-in service still refuses what a viewer may not do."""
    request = link_request_read(token)
    if request is None or request.organization_id != membership.organization_id:
        raise ValidationError(_("This link has expired or was already used. Ask for a new one in the chat."))
    spent = LinkRequest.objects.filter(pk=request.pk, used_at__isnull=True).update(used_at=timezone.now())
    if spent != 1:
        raise ValidationError(_("This link has expired or was already used. Ask for a new one in the chat."))
    link, _created = ChatLink.objects.update_or_create(
        platform=request.platform,
        external_team=request.external_team,
        external_user=request.external_user,
        defaults={"organization": membership.organization, "user": membership.user},
    )
    activity_record(
        org=membership.organization,
        actor=membership.user,
        verb="integration.account_linked",
        target=link,
        after={"platform": request.platform},
    )
    return link


@transaction.atomic
def link_delete(*, link: ChatLink, actor: User | None) -> None:
    """Unlink a chat account: it speaks for nobody until linked again."""
    activity_record(
        org=link.organization,
        actor=actor,
        verb="integration.account_unlinked",
        target=link,
        before={"platform": link.platform},
    )
    link.delete()


def link_remember_conversation(
    *, installation: ChatInstallation, external_user: str, service_url: str, conversation: str
) -> None:
    """Teams: keep where to post to a linked account (from a verified activity)."""
    ChatLink.objects.filter(
        organization=installation.organization,
        platform=installation.platform,
        external_team=installation.external_id,
        external_user=external_user,
    ).exclude(service_url=service_url[:300], conversation=conversation[:300]).update(
        service_url=service_url[:300], conversation=conversation[:300]
    )


def integrations_prune(*, now: datetime | None = None) -> int:
    """Delete what has served its purpose: reply addresses past their life, spent or
    expired link requests, and deliveries old enough that no platform retries them
    (a week: Slack and Teams retry within minutes, mail services within days)."""
    from django.conf import settings

    from integrations.models import InboundDelivery, ReplyAddress

    now = now or timezone.now()
    deleted = ReplyAddress.objects.filter(created_at__lt=now - timedelta(days=settings.REPLY_ADDRESS_DAYS)).delete()[0]
    deleted += LinkRequest.objects.filter(created_at__lt=now - timedelta(hours=LINK_HOURS)).delete()[0]
    deleted += InboundDelivery.objects.filter(created_at__lt=now - timedelta(days=7)).delete()[0]
    return deleted
