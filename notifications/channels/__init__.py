"""Chat and webhook delivery (Slack, Microsoft Teams, signed generic JSON).

``channel_publish`` is what other apps call for an event (a check-in, a comment):
it writes one outbox row per active channel that carries the event, in the caller's
transaction (``notifications.outbox``), so the post commits with the event. After the
commit a worker posts it with a short timeout; the outbox sweep retries what failed
(a broker that was down or hung, a chat service that answered badly) and gives it up
after a bounded number of tries. A channel whose messages keep being given up is
paused and the organisation's admins are told. Digests are claimed first
(``channel_publish_once``) and go through the same outbox.

Outgoing calls are guarded: https only, and the resolved address must not be
loopback, private, link-local, multicast, reserved or a cloud metadata
address — checked when the channel is saved and again at send time on the
address actually connected to (no DNS rebinding between check and use).
``settings.WEBHOOK_ALLOW_PRIVATE_TARGETS`` lets self-hosters post inside their
network (then plain http is allowed to private addresses too).
"""

from notifications.channels.delivery import (
    PAUSE_AFTER_FAILURES,
    SIGNATURE_HEADER,
    TIMEOUT_SECONDS,
    TIMESTAMP_HEADER,
    DeliveryError,
    PostOutcome,
    Response,
    channel_deliver,
    channel_post,
    post_json,
)
from notifications.channels.payloads import Facts, render_payload, sign, slack_escape, slack_text, teams_card
from notifications.channels.services import (
    CHANNELS_CACHE_SECONDS,
    active_channels,
    carried_sql,
    carrying_channels,
    channel_create,
    channel_delete,
    channel_publish,
    channel_publish_once,
    channel_publish_outbox,
    channel_update,
    forget_channels,
)
from notifications.channels.targets import UnsafeTarget, _is_public, embedded_ipv4, resolve_target, validate_target

__all__ = [
    "CHANNELS_CACHE_SECONDS",
    "PAUSE_AFTER_FAILURES",
    "SIGNATURE_HEADER",
    "TIMEOUT_SECONDS",
    "TIMESTAMP_HEADER",
    "DeliveryError",
    "Facts",
    "PostOutcome",
    "Response",
    "UnsafeTarget",
    "_is_public",
    "active_channels",
    "carried_sql",
    "carrying_channels",
    "channel_create",
    "channel_delete",
    "channel_deliver",
    "channel_post",
    "channel_publish",
    "channel_publish_once",
    "channel_publish_outbox",
    "channel_update",
    "embedded_ipv4",
    "forget_channels",
    "post_json",
    "render_payload",
    "resolve_target",
    "sign",
    "slack_escape",
    "slack_text",
    "teams_card",
    "validate_target",
]
