from django.db import models


class Heartbeat(models.Model):
    """Last time a named periodic job ran; lets /healthz tell whether the
    worker and beat are alive, across processes."""

    name = models.CharField(max_length=64, primary_key=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.at.isoformat()}"
