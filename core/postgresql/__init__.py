"""Django's PostgreSQL backend with a health check that costs nothing under load (``base``)."""
