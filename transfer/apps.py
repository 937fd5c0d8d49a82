from django.apps import AppConfig


class TransferConfig(AppConfig):
    name = "transfer"
    verbose_name = "Import and export"

    def ready(self) -> None:
        from rituals.quality import register_objective_annotation
        from transfer.coach import key_results_set_aside

        # The coach's finding on an objective imported with more than five key results.
        register_objective_annotation("key_results_set_aside", key_results_set_aside)

        from objectives.extensions import objective_detail_context, register_import_origins
        from transfer.receivers import add_import_to_objective_page, objective_import_origins

        # "Imported from Viva Goals, run #N" on the objective page, and ``imported_from`` in the API.
        objective_detail_context.connect(add_import_to_objective_page, dispatch_uid="transfer.imported_from")
        register_import_origins(objective_import_origins)
