"""Settings come from the environment (see .env.example), typed by django-environ; a `.env` file
beside manage.py is read when present (`DJANGO_ENV_FILE` names another), and variables already
set in the environment win over it. Defaults point at the local dev stack; DEBUG is off unless
`DJANGO_DEBUG` turns it on (`make run` and the tests do, through `scripts/stack.sh env`)."""

import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
ENV_FILE = Path(os.environ.get("DJANGO_ENV_FILE", BASE_DIR / ".env"))
if ENV_FILE.is_file():
    env.read_env(ENV_FILE)

DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-change-me"
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEVELOPMENT_SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_DEBUG is off but DJANGO_SECRET_KEY is the development key: set DJANGO_SECRET_KEY to a long "
        "random value of your own (or DJANGO_DEBUG=true on a development machine)."
    )
# Earlier keys still accepted when checking signatures (sessions, preview tokens), while a new
# DJANGO_SECRET_KEY takes over: README "Security" on rotating it.
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# Whether a request's X-Forwarded-Proto says if it came over TLS: only behind a proxy that sets it
# and overwrites the client's own (otherwise any client could claim https).
TRUST_X_FORWARDED_PROTO = env.bool("TRUST_X_FORWARDED_PROTO", default=False)
if TRUST_X_FORWARDED_PROTO:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_prometheus",
    "channels",
    # Failed sign-ins per username and per address, with lock-out (README "Security").
    "axes",
    "deletion_console",
    "campaigns",
    "tenants",
]

MIDDLEWARE = [
    # First and last: django-prometheus times everything in between.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files straight after the security headers, before sessions touch the database.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "deletion_console.middleware.LogContextMiddleware",
    # Before the sessions: an outage of the console database must still get its 503 page.
    "deletion_console.middleware.ServiceUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last but the timing: turns a sign-in it refused (page or Basic auth) into the lock-out answer.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "deletion_console.config.urls"
WSGI_APPLICATION = "deletion_console.config.wsgi.application"
ASGI_APPLICATION = "deletion_console.config.asgi.application"

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
    "default": {
        **env.db_url("DATABASE_URL", default="postgres://deletion:deletion@127.0.0.1:55432/deletion_console"),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The stores whose data gets deleted.
TARGET_DATABASE_URL = env.str(
    "TARGET_DATABASE_URL", default="postgres://deletion:deletion@127.0.0.1:55433/deletion_target"
)
TARGET_LOCK_TIMEOUT = env.str("TARGET_LOCK_TIMEOUT", default="10s")
TARGET_STATEMENT_TIMEOUT = env.str("TARGET_STATEMENT_TIMEOUT", default="10min")
MONGODB_URL = env.str("MONGODB_URL", default="mongodb://127.0.0.1:57017/")
MONGODB_DB = env.str("MONGODB_DB", default="game")
MONGODB_EXTERNAL_DB = env.str("MONGODB_EXTERNAL_DB", default="external")
# Only when the MongoDB-wire server is FerretDB on PostgreSQL (the local stack): its backing
# database, where ensure_indexes adds the indexes FerretDB's pushed-down filters can use.
FERRETDB_POSTGRESQL_URL = env.str("FERRETDB_POSTGRESQL_URL", default="")
NEO4J_URL = env.str("NEO4J_URL", default="bolt://127.0.0.1:57687")
NEO4J_USER = env.str("NEO4J_USER", default="neo4j")
NEO4J_PASSWORD = env.str("NEO4J_PASSWORD", default="neo4j-dev-password")
# Fail fast when a store is down, so health checks and retries answer in seconds, not minutes.
STORE_TIMEOUT_SECONDS = env.float("STORE_TIMEOUT_SECONDS", default=3.0)

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:56379/0")

RABBITMQ_URL = env.str(
    "RABBITMQ_URL", default="amqp://deletion-console:deletion-console-dev-password@127.0.0.1:55672//"
)

# The broker Celery's chunks travel through: amqp://... or redis://.... RabbitMQ by default, by
# measurement (make drill): it hands a killed worker's chunk back at once, and a worker rides
# out a RabbitMQ restart; on Redis (kombu 5.7), a worker whose broker restarts while it runs a
# chunk exits ("Unrecoverable error" while restoring unacknowledged messages) and needs its
# supervisor to start it again. Redis works otherwise (make test runs the broker-dependent
# tests on both), with the recovery timings below.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=RABBITMQ_URL)
# Where other services hear about deletions (and, for RabbitMQ, where they ask for them):
# RabbitMQ by default, the broker the seeds' event flow names.
DELETION_EVENTS_URL = env.str("DELETION_EVENTS_URL", default=RABBITMQ_URL)
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
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300),
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=3),
    # The sweep holds a lock in Redis for milliseconds, but a worker killed while holding it
    # leaves it for this long, and until then no worker sweeps: kombu's 5 min default would
    # delay the very redelivery a crash needs. Restoring stays safe without the lock (each
    # message is moved under WATCH), so the lock only saves duplicate sweeps.
    "unacked_mutex_expire": env.int("CELERY_UNACKED_MUTEX_EXPIRE", default=30),
}
# One queue for every task, served by priority: a small job's chunks (at most
# DELETION_QUICK_JOB_ROWS previewed) and beat's rounds first, then previews and sweeps, then
# large jobs' chunks. So a small job waits for at most one chunk per worker process, not behind
# every large job's. Separate queues do not do that: a worker takes from its queues in turn on
# Redis, but RabbitMQ hands a freed worker whichever queue's message comes first (measured: a tiny
# job waited 9 s for its first chunk among 19 large jobs on two processes; beat's four rounds
# every 5 s in the same lane made it 11 s). A new name: a queue's priority support is fixed when
# RabbitMQ first declares it.
CELERY_TASK_DEFAULT_QUEUE = "deletion-tasks"
DELETION_QUEUES = (CELERY_TASK_DEFAULT_QUEUE,)
CELERY_TASK_QUEUES = (
    Queue(
        CELERY_TASK_DEFAULT_QUEUE,
        Exchange(CELERY_TASK_DEFAULT_QUEUE),
        routing_key=CELERY_TASK_DEFAULT_QUEUE,
        queue_arguments={"x-max-priority": 9},
    ),
)


def _priority(rank: int) -> int:
    # RabbitMQ serves priority 9 first; kombu's Redis transport serves 0 first (its lists, one per
    # priority step 0, 3, 6, 9, are read in that order).
    return rank * 3 if CELERY_BROKER_URL.startswith("redis") else 9 - rank * 3


DELETION_PRIORITY_FIRST = _priority(0)
CELERY_TASK_DEFAULT_PRIORITY = _priority(1)
DELETION_PRIORITY_LARGE = _priority(2)
DELETION_QUICK_JOB_ROWS = env.int("DELETION_QUICK_JOB_ROWS", default=5_000)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# How often the watchdog looks for chunks whose worker died (selectors.jobs.lost_reason): with
# DELETION_CLAIM_SILENT_SECONDS, the bound on how long a crash leaves a job standing.
DELETION_WATCHDOG_INTERVAL_SECONDS = env.float("DELETION_WATCHDOG_INTERVAL_SECONDS", default=5.0)
# A round that waited in the queue past the next one is stale: do not let rounds pile up.
_EVERY_ROUND = {
    "schedule": DELETION_WATCHDOG_INTERVAL_SECONDS,
    "options": {"expires": DELETION_WATCHDOG_INTERVAL_SECONDS, "priority": DELETION_PRIORITY_FIRST},
}
CELERY_BEAT_SCHEDULE = {
    "requeue-stalled-deletion-jobs": {"task": "deletion_console.tasks.requeue_stalled_jobs", **_EVERY_ROUND},
    "publish-deletion-events": {"task": "deletion_console.tasks.publish_events", **_EVERY_ROUND},
    "start-due-deletion-jobs": {"task": "deletion_console.tasks.start_due_jobs", **_EVERY_ROUND},
    "expire-unapproved-deletion-jobs": {"task": "deletion_console.tasks.expire_unapproved_jobs", **_EVERY_ROUND},
}
# The orphan sweep (README "Orphaned data"): how often beat looks for data whose campaign or
# tenant is gone, how many orphaned owners one sweep lists (and one clean-up job takes), and
# whether a sweep that finds some requests their clean-up itself (off: a person confirms it).
ORPHAN_SWEEP_INTERVAL_SECONDS = env.float("ORPHAN_SWEEP_INTERVAL_SECONDS", default=24 * 3600)
ORPHAN_SWEEP_MAX_OWNERS = env.int("ORPHAN_SWEEP_MAX_OWNERS", default=1_000)
ORPHAN_CLEANUP_AUTOMATIC = env.bool("ORPHAN_CLEANUP_AUTOMATIC", default=False)
# A sweep refuses its findings for a kind (and requests no clean-up at all) when the kind's home
# store lists no owner while others hold their data, or when more than this share of the kind's
# owners look gone: a home database mis-set would otherwise look like everything orphaned.
ORPHAN_SWEEP_MAX_GONE_SHARE = env.float("ORPHAN_SWEEP_MAX_GONE_SHARE", default=0.5)
CELERY_BEAT_SCHEDULE["sweep-orphaned-data"] = {
    "task": "deletion_console.tasks.sweep_orphans",
    "schedule": ORPHAN_SWEEP_INTERVAL_SECONDS,
    "options": {"expires": ORPHAN_SWEEP_INTERVAL_SECONDS},
}
# Topic exchange on the broker that announces finished deletions to other services.
DELETION_EVENTS_EXCHANGE = env.str("DELETION_EVENTS_EXCHANGE", default="campaign.progress")
# Events published per round trip to the broker (the rest wait for the next round).
DELETION_EVENTS_BATCH = env.int("DELETION_EVENTS_BATCH", default=500)
# Requests by message (README "Requests by message"), on the same broker: `<kind>.delete.requested`
# on this topic exchange, bound for each kind of DELETION_PLANS to this queue; the messages the
# consumer refuses are republished, with the reason in their headers, to the dead-letter pair.
DELETION_REQUESTS_EXCHANGE = env.str("DELETION_REQUESTS_EXCHANGE", default="campaign.ops")
DELETION_REQUESTS_QUEUE = env.str("DELETION_REQUESTS_QUEUE", default="campaign.deletion")
DELETION_REQUESTS_DEAD_EXCHANGE = env.str("DELETION_REQUESTS_DEAD_EXCHANGE", default="campaign.ops.dead")
DELETION_REQUESTS_DEAD_QUEUE = env.str("DELETION_REQUESTS_DEAD_QUEUE", default="campaign.deletion.dead")
# A request that meets an error, not a refusal (a store or the database unreachable), goes back to
# the queue after this pause, as often as it takes: an outage must not lose a request. Only an
# error that is not transient (a bug) gives up, to the dead-letter queue, after this many attempts.
DELETION_REQUESTS_RETRY_SECONDS = env.float("DELETION_REQUESTS_RETRY_SECONDS", default=5.0)
DELETION_REQUESTS_MAX_ATTEMPTS = env.int("DELETION_REQUESTS_MAX_ATTEMPTS", default=5)
# A request's body is a few hundred bytes: a longer one is refused unread.
DELETION_REQUESTS_MAX_BYTES = env.int("DELETION_REQUESTS_MAX_BYTES", default=64 * 1024)
# A request is taken only from a sender the broker vouches for: RabbitMQ checks a message's
# user_id property against the publisher's login; Redis checks nothing, so requests over it are
# refused, unless this takes the property on trust (development only: refused with DEBUG off).
DELETION_REQUESTS_TRUST_UNPROVEN_SENDER = env.bool("DELETION_REQUESTS_TRUST_UNPROVEN_SENDER", default=False)
if DELETION_REQUESTS_TRUST_UNPROVEN_SENDER and not DEBUG:
    raise ImproperlyConfigured(
        "DELETION_REQUESTS_TRUST_UNPROVEN_SENDER lets anyone on the broker request deletions as any service: "
        "it is for development only (DJANGO_DEBUG=true)."
    )

# Bulk deletion: how many targets one request may name, and how many of its jobs run at once
# (the rest wait their turn, so one bulk request cannot take every worker from everyone else).
DELETION_BATCH_MAX_TARGETS = env.int("DELETION_BATCH_MAX_TARGETS", default=200)
DELETION_BATCH_MAX_RUNNING = env.int("DELETION_BATCH_MAX_RUNNING", default=3)

# Previews (services.background_preview): a page waits this long for the counts, then shows
# what it has and the workers count the rest, this many targets side by side; kept a day.
DELETION_PREVIEW_INLINE_SECONDS = env.float("DELETION_PREVIEW_INLINE_SECONDS", default=0.3)
DELETION_PREVIEW_LANES = env.int("DELETION_PREVIEW_LANES", default=2)
DELETION_PREVIEW_KEEP_SECONDS = env.int("DELETION_PREVIEW_KEEP_SECONDS", default=86400)

# An open progress socket asks again whether its user may still see the job before forwarding an
# update, at most this often; once they may not, it is closed (code 4403).
WS_PERMISSION_CACHE_SECONDS = env.float("WS_PERMISSION_CACHE_SECONDS", default=5.0)

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL]},
    }
}

# A chunk works on its step until this many seconds have passed, then queues the next chunk
# behind whatever else is waiting: the bound on how long one job can hold a worker.
DELETION_CHUNK_SECONDS = env.float("DELETION_CHUNK_SECONDS", default=3.0)
# Batch sizes per store. MongoDB: the owned _ids read by one query, then deleted by exact key
# in one bulk write (about 0.25 ms a key on FerretDB: 5 s a batch). Each such query costs as
# much as everything still owned (FerretDB drains its whole result), so fewer, larger batches:
# at 5,000 a 10^6-document owner spent half its time in them. Neo4j: one batch is one transaction, held in
# the server's transaction heap. PostgreSQL: one DELETE per batch keeps locks short and the
# WAL per statement bounded.
DELETION_BATCH_SIZE = {
    "mongodb": env.int("DELETION_MONGODB_BATCH", default=20_000),
    "neo4j": env.int("DELETION_NEO4J_BATCH", default=2_000),
    "postgres": env.int("DELETION_POSTGRES_BATCH", default=5_000),
}
# How long the list of tables, collections and labels that hold a plan's owner field but that no
# plan item covers is kept before it is looked for again (it reads every container's catalog).
DELETION_COVERAGE_CACHE_SECONDS = env.float("DELETION_COVERAGE_CACHE_SECONDS", default=300.0)
# Ids looked up per round trip when counting by collected ids, and streamed per batch by collect.
DELETION_MONGODB_ID_LIST = env.int("DELETION_MONGODB_ID_LIST", default=1_000)
DELETION_COLLECT_BATCH = env.int("DELETION_COLLECT_BATCH", default=10_000)
# Most documents left (by the preview's count) for one delete_many to take them all: FerretDB
# deletes by one SQL statement binding every matched _id, and PostgreSQL takes at most 65,535
# parameters; the margin absorbs a preview that is a little stale.
DELETION_MONGODB_STATEMENT_MAX = env.int("DELETION_MONGODB_STATEMENT_MAX", default=60_000)
# At most this many progress messages a second per job (step changes and the end always go).
DELETION_PROGRESS_PER_SECOND = env.float("DELETION_PROGRESS_PER_SECOND", default=10.0)
# A chunk whose worker has not written for this long is checked on: if its worker process no
# longer answers, the chunk is queued again. A live chunk writes at every batch, and a batch is
# a few seconds at most (a MongoDB batch of 20,000 keys on FerretDB takes about 5 s).
DELETION_CLAIM_SILENT_SECONDS = env.float("DELETION_CLAIM_SILENT_SECONDS", default=6.0)
# A running job nobody has reported on for this long is queued again even though no dead worker
# is to blame: its next chunk's message was lost, or a worker hangs while still answering.
DELETION_HEARTBEAT_STALE_SECONDS = env.int("DELETION_HEARTBEAT_STALE_SECONDS", default=120)
# How long a chunk keeps trying to record a batch it has deleted while the console's database is
# away, before it gives up (and the batch's count is lost: the documents are gone all the same).
DELETION_RECORD_PATIENCE_SECONDS = env.float("DELETION_RECORD_PATIENCE_SECONDS", default=60.0)
# Transient store errors: retried this many times, waiting 1 s, 2 s, 4 s ... between attempts.
DELETION_MAX_RETRIES = env.int("DELETION_MAX_RETRIES", default=3)
DELETION_RETRY_BASE_SECONDS = env.float("DELETION_RETRY_BASE_SECONDS", default=1.0)

# Deletion certificates are signed with this Ed25519 key: the base64 of its 32-byte seed. Without
# it, DEBUG derives a development key from SECRET_KEY (certificates say so) and production
# refuses to issue certificates.
DELETION_CERTIFICATE_KEY = env.str("DELETION_CERTIFICATE_KEY", default="")

# Safeguards per kind of target (README "Grace period and second approval"). Seconds between a
# request (or its approval) and the start of the deletion, during which the target is hidden and
# the job can be cancelled; a kind not named starts at once. "tenant=2592000,campaign=0"
DELETION_GRACE_PERIOD = {kind: float(s) for kind, s in env.dict("DELETION_GRACE_PERIOD", default={}).items()}
# Kinds whose deletions need a second person's approval, from this many entities up (0: all).
# A kind not named needs none. "tenant=0,campaign=100000"
DELETION_APPROVAL = {
    kind: {"min_entities": int(n)} for kind, n in env.dict("DELETION_APPROVAL_MIN_ENTITIES", default={}).items()
}
# An unapproved request is cancelled this long after it was made.
DELETION_APPROVAL_EXPIRES_SECONDS = env.float("DELETION_APPROVAL_EXPIRES_SECONDS", default=7 * 24 * 3600)
# A resume is refused once what remains of the target has grown by more than this share of what
# the job was confirmed against, or once the job started (or was requested) longer ago than this.
DELETION_RESUME_MAX_DRIFT = env.float("DELETION_RESUME_MAX_DRIFT", default=0.10)
DELETION_RESUME_MAX_AGE_SECONDS = env.int("DELETION_RESUME_MAX_AGE_SECONDS", default=7 * 24 * 3600)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
# django-axes first: a locked-out username or address is refused before any password is hashed.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Sign-in failures (the sign-in page, the admin's, Basic auth on the API) counted per username and,
# separately, per client address (REMOTE_ADDR: forwarded headers are the caller's to write); at the
# limit, that username or address is locked out for the cool-off. Staff see and clear the records in
# the admin (Axes: access attempts, access failures) or with `manage.py axes_reset_username`.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "deletion_console.web.lockout.locked_out"
# Mail: the console writes mail only for password resets, and offers them (the /accounts/password_reset/
# pages) only when a backend that really sends is set, with its EMAIL_HOST etc.; without one they
# are not routed at all (a console or in-memory backend would swallow the mail).
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="webmaster@localhost")
PASSWORD_RESET_ENABLED = EMAIL_BACKEND not in {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First: its Bearer challenge makes unauthenticated API calls 401 rather than 403.
        "deletion_console.api.authentication.ServiceTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
        # Basic auth through django-axes, as the sign-in page is.
        "deletion_console.api.authentication.LockoutBasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": [
        "deletion_console.api.throttling.ServiceTokenRequestThrottle",
        "deletion_console.api.throttling.PreviewThrottle",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "deletion_console.api.exceptions.handle",
}
# Requests that create or cancel jobs, per service account token (DRF's "number/period").
API_SERVICE_REQUEST_RATE = env.str("API_SERVICE_REQUEST_RATE", default="60/min")
# Previews (GET, the API's and the confirm page's) per token or person: each counts in every store.
API_PREVIEW_RATE = env.str("API_PREVIEW_RATE", default="30/min")
API_THROTTLE_CACHE = "throttle"
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # The throttle's counters, shared by every web process.
    API_THROTTLE_CACHE: {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "deletion-console-throttle",
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Deletion Console API",
    "DESCRIPTION": (
        "Preview, request, follow and cancel the deletion of a campaign or tenant. People call it "
        "with their session; other services with a service account's token."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/",
    "COMPONENT_SPLIT_REQUEST": True,
    # A job's status appears in jobs and in batches' rows: one named enum for both.
    "ENUM_NAME_OVERRIDES": {"JobStatusEnum": "deletion_console.models.JobStatus"},
    # Swagger UI's scripts and styles from drf-spectacular-sidecar, served by the console: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Who may read /metrics (and the details of /health/ready/): a caller presenting this bearer
# token, or (for /metrics) one connecting from these addresses or networks.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1"] if DEBUG else [])
# How long one round of /health/ready/'s checks (a connection to every dependency) is reused. Only
# staff and holders of METRICS_TOKEN start a round; anonymous callers read the latest one's outcome.
HEALTH_CACHE_SECONDS = env.float("HEALTH_CACHE_SECONDS", default=10.0)
# How long a scrape waits for the Celery workers' replies (see deletion_console/monitoring/workers.py).
METRICS_CELERY_INSPECT_TIMEOUT = env.float("METRICS_CELERY_INSPECT_TIMEOUT", default=1.0)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# With DEBUG on, whitenoise serves straight from STATICFILES_DIRS; with it off, from here, filled
# by `collectstatic` (the Docker image does it at build time).
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / ".devstack" / "staticfiles")

# One JSON object a line (the default: what log shippers parse) or a line for a terminal
# (`make run`); either way with the job fields bound by deletion_console.logcontext.
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
if LOG_FORMAT not in ("json", "console"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or console, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"job_context": {"()": "deletion_console.logcontext.JobContextFilter"}},
    "formatters": {
        "json": {"()": "deletion_console.logformat.JsonFormatter"},
        "console": {"()": "deletion_console.logformat.ConsoleFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["job_context"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Without this, Django's own console handler (DEBUG only) writes its lines a second time, unformatted.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "neo4j": {"level": "WARNING"},
        "pymongo": {"level": "WARNING"},
    },
}

# Where each kind of target's deletion plan is declared. A new kind, or another schema, is a
# new or edited declaration; the engine does not change.
DELETION_PLANS = {
    "campaign": "campaigns.plan.CAMPAIGN_PLAN",
    "tenant": "tenants.plan.TENANT_PLAN",
}
# Kinds derived from a declared one, each asked in turn for a kind DELETION_PLANS lacks: a callable
# (kind) -> Plan | None. The cleaning of a kind's orphaned data (`<kind>-orphans`) reads the
# console's own records (jobs, sweeps), which the engine does not: the selector gives them.
DELETION_DERIVED_PLANS = ["deletion_console.selectors.orphans.cleanup_plan"]

# The stores the plans delete from: each a store declaration (deletion_console.stores.registry.Store)
# by dotted path. Another store is a store module and its entry here.
DELETION_STORES = [
    "deletion_console.stores.mongo.STORE",
    "deletion_console.stores.graph.STORE",
    "deletion_console.stores.sql.STORE",
]
