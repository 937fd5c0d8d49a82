"""What the cycles floor tells the floors above it.

``cycles`` must not import the apps above it (CONTRIBUTING, "Floors"). When a
cycle is about to close, ``cycle_update`` sends ``cycle_closing`` inside its
transaction; ``objectives`` connects a receiver in ``ObjectivesConfig.ready()``
that freezes the grades and the final snapshot, and, when asked to
(``check_reviews``), refuses the close while retrospectives wait for their
reviewer. A receiver that raises rolls the close back: nothing partial is
saved.
"""

from __future__ import annotations

from django.dispatch import Signal

# Keyword arguments: cycle (Cycle, still open), actor (User or None), check_reviews (bool).
cycle_closing = Signal()
