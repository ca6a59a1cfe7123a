import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deletion_console.config.settings")

app = Celery("deletion_console")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
