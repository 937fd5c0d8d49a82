from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "okrkpi.core"
    label = "core"
