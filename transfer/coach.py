"""What the quality coach learns from imports (registered in ``TransferConfig.ready()``;
the coach's floor never imports this one).

An objective from a Viva Goals file with more than five key results came in with five and
the rest as initiatives; its external key remembers how many (``key_results_set_aside``).
The coach reads that number with the objective, in the same query, and raises its finding
(``objective_key_results_set_aside``) while the objective is a draft.
"""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, Subquery

from transfer.models import ImportedKey

OBJECTIVE_LABEL = "objectives.objective"


def key_results_set_aside() -> Any:
    return Subquery(
        ImportedKey.objects.filter(
            organization=OuterRef("organization"),
            model=OBJECTIVE_LABEL,
            object_id=OuterRef("pk"),
            key_results_set_aside__gt=0,
        )
        .order_by("-id")
        .values("key_results_set_aside")[:1]
    )
