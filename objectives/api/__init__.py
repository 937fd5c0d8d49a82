"""API resources ``objectives/``, ``key-results/``, ``check-ins/``, ``initiatives/`` and ``contributions/``, one
module per topic.

Serializers validate shapes and scope foreign keys to the caller's
organisation; the rules of the method live in ``objectives.services``.
"""

from objectives.api.check_ins import CheckInSerializer, CheckInViewSet, KeyResultIdField
from objectives.api.contributions import ContributionSerializer, ContributionViewSet
from objectives.api.initiatives import InitiativeSerializer, InitiativeViewSet
from objectives.api.key_results import KeyResultSerializer, KeyResultViewSet
from objectives.api.objectives import ObjectiveSerializer, ObjectiveViewSet

__all__ = [
    "CheckInSerializer",
    "CheckInViewSet",
    "ContributionSerializer",
    "ContributionViewSet",
    "InitiativeSerializer",
    "InitiativeViewSet",
    "KeyResultIdField",
    "KeyResultSerializer",
    "KeyResultViewSet",
    "ObjectiveSerializer",
    "ObjectiveViewSet",
]
