from __future__ import annotations

import pytest
from django.core.cache import caches
from django.test import override_settings

CACHED = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "okrkpi-test"},
    "documents": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "documents-test"},
}


@pytest.fixture
def documents_cache():
    """The documents cache on, as in production (the test settings build every document afresh)."""
    with override_settings(CACHES=CACHED):
        caches["documents"].clear()
        yield caches["documents"]
        caches["documents"].clear()
