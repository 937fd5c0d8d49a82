"""Names the ground floor shares with the settings (the roof reads them from here, never the
other way round)."""

# The database cache's table: the login throttle's store in the embedded mode, and where it
# counts while Redis fails. ``migrate`` creates it (``core.apps``).
CACHE_TABLE = "okrkpi_cache"
