from django.apps import AppConfig
from django.core.management import call_command
from django.db.models.signals import post_migrate


def create_cache_table(*, using: str = "default", **kwargs: object) -> None:
    """``migrate`` also creates the database cache's table (the login throttle's
    store in the embedded mode, and where it counts while Redis fails), so no
    deployment can forget ``createcachetable``. It does nothing when the table exists."""
    from core.constants import CACHE_TABLE

    call_command("createcachetable", database=using, verbosity=0)
    call_command("createcachetable", CACHE_TABLE, database=using, verbosity=0)


class CoreConfig(AppConfig):
    name = "core"
    label = "core"

    def ready(self) -> None:
        post_migrate.connect(create_cache_table, sender=self, dispatch_uid="core.create_cache_table")
