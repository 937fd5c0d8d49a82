from django.db import models


class Heartbeat(models.Model):
    """Last time a named periodic job ran; lets /healthz tell whether the
    worker and beat are alive, across processes."""

    name = models.CharField(max_length=64, primary_key=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.at.isoformat()}"


class IdempotencyKey(models.Model):
    """A create the API has answered under an ``Idempotency-Key`` header
    (``core.idempotency``): a retry with the same key gets this answer again
    and writes nothing. Written in the same transaction as what it answers for, so
    the answer exists exactly when the write does. Scoped to the organisation and the
    person (plain ids: the ground floor knows no organisations); kept for
    ``core.idempotency.TTL``."""

    organization_id = models.BigIntegerField()
    user_id = models.BigIntegerField()
    key = models.CharField(max_length=255)
    # The method, path and body the key was first used with: another body is refused.
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization_id", "user_id", "key"], name="idempotency_key_unique"),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_key_created")]

    def __str__(self) -> str:
        return f"{self.key} @ {self.created_at.isoformat()}"
