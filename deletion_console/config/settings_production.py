"""Production settings: the base settings, plus the transport security `check --deploy` asks for.

Select with DJANGO_SETTINGS_MODULE=deletion_console.config.settings_production behind a proxy that
terminates TLS (with TRUST_X_FORWARDED_PROTO=true if it sets X-Forwarded-Proto, overwriting the
client's). DEBUG is off here whatever DJANGO_DEBUG says, and example secrets are refused.
"""

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from deletion_console.config import settings as base
from deletion_console.config.settings import *  # noqa: F403
from deletion_console.config.settings import DEVELOPMENT_SECRET_KEY, SECRET_KEY, env

DEBUG = False
if SECRET_KEY == DEVELOPMENT_SECRET_KEY:
    raise ImproperlyConfigured("Production settings need DJANGO_SECRET_KEY: a long random value of your own.")

# The secrets docker-compose.yml, .env.example and the local stack show (anyone can read them),
# and the servers' own defaults: none may guard a real deployment.
EXAMPLE_SECRETS = {
    DEVELOPMENT_SECRET_KEY,
    "change-me-to-a-long-random-value",
    "change-me-metrics-token",
    "change-me-neo4j",
    "change-me-rabbitmq",
    "neo4j-dev-password",
    "neo4j",
    "deletion",
    "guest",
}


def _is_example(secret: str) -> bool:
    return secret in EXAMPLE_SECRETS or secret.startswith("change-me") or secret.endswith("-dev-password")


def _example_secrets() -> list[str]:
    """The variables whose secret is an example one (named, never shown)."""
    plain = {
        "DJANGO_SECRET_KEY": base.SECRET_KEY,
        "METRICS_TOKEN": base.METRICS_TOKEN,  # empty is allowed: then no caller has a token
        "NEO4J_PASSWORD": base.NEO4J_PASSWORD,
        "DELETION_CERTIFICATE_KEY": base.DELETION_CERTIFICATE_KEY,
    }
    urls = {
        "DATABASE_URL": base.env.str("DATABASE_URL", default="postgres://deletion:deletion@127.0.0.1/"),
        "TARGET_DATABASE_URL": base.TARGET_DATABASE_URL,
        "REDIS_URL": base.REDIS_URL,
        "RABBITMQ_URL": base.RABBITMQ_URL,
        "CELERY_BROKER_URL": base.CELERY_BROKER_URL,
        "DELETION_EVENTS_URL": base.DELETION_EVENTS_URL,
        "MONGODB_URL": base.MONGODB_URL,
    }
    found = [name for name, secret in plain.items() if secret and _is_example(secret)]
    found += [name for name, url in urls.items() if (password := urlsplit(url).password) and _is_example(password)]
    return found


if examples := _example_secrets():
    raise ImproperlyConfigured(
        f"Production settings refuse the example secrets of docker-compose.yml, .env.example and the local stack: "
        f'set {", ".join(examples)} to values of your own (README "Security" says how to rotate them).'
    )

# X-Forwarded-Proto is trusted only with TRUST_X_FORWARDED_PROTO (see the base settings).
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
