from django.apps import AppConfig


class DeletionConsoleConfig(AppConfig):
    name = "deletion_console"
    verbose_name = "Deletion console"
    default_auto_field = "django.db.models.BigAutoField"
