from __future__ import annotations

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English: start each test in English whatever an earlier
    test (a request in Vietnamese, say) left active, and leave nothing behind."""
    with translation.override("en"):
        yield
