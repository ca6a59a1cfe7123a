"""Settings come from the environment (see .env.example); defaults point at the local dev stack."""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name, default=None):
    return os.environ.get(name, default)


def env_int(name, default):
    return int(os.environ.get(name, default))


def env_bool(name, default=False):
    return os.environ.get(name, str(default)).lower() in {"1", "true", "yes", "on"}


SECRET_KEY = env("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = env_bool("DJANGO_DEBUG", True)
ALLOWED_HOSTS = env("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in env("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "channels",
    "deletion_console",
    "campaigns",
    "tenants",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "deletion_console.urls"
WSGI_APPLICATION = "deletion_console.wsgi.application"
ASGI_APPLICATION = "deletion_console.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "deletion_console.web.context.target_sections",
            ],
        },
    },
]

# The console's own database: jobs, audit events, users. Never the data being deleted.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", "postgres://deletion:deletion@127.0.0.1:55432/deletion_console"),
        conn_max_age=60,
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The stores whose data gets deleted.
TARGET_DATABASE_URL = env("TARGET_DATABASE_URL", "postgres://deletion:deletion@127.0.0.1:55432/deletion_target")
TARGET_LOCK_TIMEOUT = env("TARGET_LOCK_TIMEOUT", "10s")
TARGET_STATEMENT_TIMEOUT = env("TARGET_STATEMENT_TIMEOUT", "10min")
MONGODB_URL = env("MONGODB_URL", "mongodb://127.0.0.1:57017/")
MONGODB_DB = env("MONGODB_DB", "game")
MONGODB_EXTERNAL_DB = env("MONGODB_EXTERNAL_DB", "external")
# Only when the MongoDB-wire server is FerretDB on PostgreSQL (the local stack): its backing
# database, where ensure_indexes adds the indexes FerretDB's pushed-down filters can use.
FERRETDB_POSTGRESQL_URL = env("FERRETDB_POSTGRESQL_URL", "")
NEO4J_URL = env("NEO4J_URL", "bolt://127.0.0.1:57687")
NEO4J_USER = env("NEO4J_USER", "neo4j")
NEO4J_PASSWORD = env("NEO4J_PASSWORD", "neo4j-dev-password")
# Fail fast when a store is down, so health checks and retries answer in seconds, not minutes.
STORE_TIMEOUT_SECONDS = float(env("STORE_TIMEOUT_SECONDS", "3"))

REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:56379/0")

CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_IGNORE_RESULT = True
# A chunk is acknowledged only once it has finished, and a worker that dies mid-chunk hands its
# message back: together with idempotent units, a crash costs a re-run of one chunk.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis re-delivers an unacknowledged message after this long, so it must exceed the longest
# chunk (DELETION_CHUNK_SECONDS plus one batch) and the longest retry countdown; the watchdog
# below is the backstop for a job whose next chunk was never queued.
# A worker sweeps for such messages every interval x throttle seconds (kombu's defaults make it
# 100 s): a lost chunk runs again within about visibility timeout + 30 s.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 300),
    "unacked_restore_interval": env_int("CELERY_UNACKED_RESTORE_INTERVAL", 10),
    "unacked_restore_throttle": env_int("CELERY_UNACKED_RESTORE_THROTTLE", 3),
}
CELERY_TASK_DEFAULT_QUEUE = "deletions"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
DELETION_WATCHDOG_INTERVAL_SECONDS = float(env("DELETION_WATCHDOG_INTERVAL_SECONDS", "30"))
# A round that waited in the queue past the next one is stale: do not let rounds pile up.
_EVERY_ROUND = {
    "schedule": DELETION_WATCHDOG_INTERVAL_SECONDS,
    "options": {"expires": DELETION_WATCHDOG_INTERVAL_SECONDS},
}
CELERY_BEAT_SCHEDULE = {
    "requeue-stalled-deletion-jobs": {"task": "deletion_console.tasks.requeue_stalled_jobs", **_EVERY_ROUND},
    "announce-finished-deletion-jobs": {"task": "deletion_console.tasks.announce_finished_jobs", **_EVERY_ROUND},
}
# Topic exchange on the broker that announces finished deletions to other services.
DELETION_EVENTS_EXCHANGE = env("DELETION_EVENTS_EXCHANGE", "campaign.progress")

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL]},
    }
}

# A chunk works on its step until this many seconds have passed, then queues the next chunk
# behind whatever else is waiting: the bound on how long one job can hold a worker.
DELETION_CHUNK_SECONDS = float(env("DELETION_CHUNK_SECONDS", "3"))
# Batch sizes per store. MongoDB: the owned _ids read by one query, then deleted by exact key
# in one bulk write (about 0.25 ms a key on FerretDB: 5 s a batch). Each such query costs as
# much as everything still owned (FerretDB drains its whole result), so fewer, larger batches:
# at 5,000 a 10^6-document owner spent half its time in them. Neo4j: one batch is one transaction, held in
# the server's transaction heap. PostgreSQL: one DELETE per batch keeps locks short and the
# WAL per statement bounded.
DELETION_BATCH_SIZE = {
    "mongodb": env_int("DELETION_MONGODB_BATCH", 20_000),
    "neo4j": env_int("DELETION_NEO4J_BATCH", 2_000),
    "postgres": env_int("DELETION_POSTGRES_BATCH", 5_000),
}
# How long the list of tables, collections and labels that hold a plan's owner field but that no
# plan item covers is kept before it is looked for again (it reads every container's catalog).
DELETION_COVERAGE_CACHE_SECONDS = float(env("DELETION_COVERAGE_CACHE_SECONDS", "300"))
# Ids looked up per round trip when counting by collected ids, and streamed per batch by collect.
DELETION_MONGODB_ID_LIST = env_int("DELETION_MONGODB_ID_LIST", 1_000)
DELETION_COLLECT_BATCH = env_int("DELETION_COLLECT_BATCH", 10_000)
# Most documents left (by the preview's count) for one delete_many to take them all: FerretDB
# deletes by one SQL statement binding every matched _id, and PostgreSQL takes at most 65,535
# parameters; the margin absorbs a preview that is a little stale.
DELETION_MONGODB_STATEMENT_MAX = env_int("DELETION_MONGODB_STATEMENT_MAX", 60_000)
# At most this many progress messages a second per job (step changes and the end always go).
DELETION_PROGRESS_PER_SECOND = float(env("DELETION_PROGRESS_PER_SECOND", "10"))
# A running job whose worker has not reported for this long is presumed crashed and re-enqueued.
DELETION_HEARTBEAT_STALE_SECONDS = env_int("DELETION_HEARTBEAT_STALE_SECONDS", 120)
# Transient store errors: retried this many times, waiting 1 s, 2 s, 4 s ... between attempts.
DELETION_MAX_RETRIES = env_int("DELETION_MAX_RETRIES", 3)
DELETION_RETRY_BASE_SECONDS = float(env("DELETION_RETRY_BASE_SECONDS", "1"))

# Deletion certificates are signed with this Ed25519 key: the base64 of its 32-byte seed. Without
# it, DEBUG derives a development key from SECRET_KEY (certificates say so) and production
# refuses to issue certificates.
DELETION_CERTIFICATE_KEY = env("DELETION_CERTIFICATE_KEY", "")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / ".devstack" / "staticfiles"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"neo4j": {"level": "WARNING"}, "pymongo": {"level": "WARNING"}},
}

# Where each kind of target's deletion plan is declared. A new kind, or another schema, is a
# new or edited declaration; the engine does not change.
DELETION_PLANS = {
    "campaign": "campaigns.plan.CAMPAIGN_PLAN",
    "tenant": "tenants.plan.TENANT_PLAN",
}
