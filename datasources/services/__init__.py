"""Every write of the data sources, by topic: the sources themselves (``sources``), the
pulls (``pulls``) and the inbound webhook (``webhook``)."""

from datasources.services.pulls import (
    PullOutcome,
    TestResult,
    kpi_pull_now,
    note_run,
    period_of,
    pull_claimed,
    pull_resolve,
    record_pulled,
    source_test,
)
from datasources.services.sources import source_config, source_create, source_delete, source_update
from datasources.services.webhook import BadSignature, sign, webhook_receive, webhook_source

__all__ = [
    "BadSignature",
    "PullOutcome",
    "TestResult",
    "kpi_pull_now",
    "note_run",
    "period_of",
    "pull_claimed",
    "pull_resolve",
    "record_pulled",
    "sign",
    "source_config",
    "source_create",
    "source_delete",
    "source_test",
    "source_update",
    "webhook_receive",
    "webhook_source",
]
