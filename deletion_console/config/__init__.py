"""The Django project around the app: settings, URLs, ASGI/WSGI entry points and the Celery app.

The Celery app is imported here, so that @shared_task binds to it whenever Django starts: every
entry point (manage.py, daphne, `celery -A deletion_console.config`) loads these settings first.
"""

from .celery import app as celery_app

__all__ = ("celery_app",)
