"""Production settings: the base settings, plus the transport security `check --deploy` asks for.

Select with DJANGO_SETTINGS_MODULE=deletion_console.config.settings_production behind a proxy that
terminates TLS and sets X-Forwarded-Proto. DEBUG is off here whatever DJANGO_DEBUG says.
"""

from django.core.exceptions import ImproperlyConfigured

from deletion_console.config.settings import *  # noqa: F403
from deletion_console.config.settings import DEVELOPMENT_SECRET_KEY, SECRET_KEY, env

DEBUG = False
if SECRET_KEY == DEVELOPMENT_SECRET_KEY:
    raise ImproperlyConfigured("Production settings need DJANGO_SECRET_KEY: a long random value of your own.")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Probes and scrapers inside the cluster speak plain HTTP to the process, not through the proxy.
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=True)
X_FRAME_OPTIONS = "DENY"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed copies made by collectstatic: far-future cache headers are then safe.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
