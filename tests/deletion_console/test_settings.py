"""Settings hygiene, checked the way an operator meets it: `manage.py` in a fresh process."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def manage(*args, **env):
    # A .env on the developer's machine must not decide these tests: point at none.
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, "DJANGO_ENV_FILE": os.devnull, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_with_debug_off_the_development_secret_key_is_refused_with_what_to_set():
    result = manage("check", DJANGO_DEBUG="false")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_with_debug_off_requests_by_message_cannot_be_taken_from_unproven_senders():
    result = manage(
        "check", DJANGO_DEBUG="false", DJANGO_SECRET_KEY="x" * 60, DELETION_REQUESTS_TRUST_UNPROVEN_SENDER="true"
    )

    assert result.returncode != 0
    assert "DELETION_REQUESTS_TRUST_UNPROVEN_SENDER" in result.stderr and "development only" in result.stderr


def test_debug_is_off_unless_asked_for():
    result = manage(
        "shell", "-v0", "-c", "from django.conf import settings; print(settings.DEBUG)", DJANGO_SECRET_KEY="x" * 60
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_a_dotenv_file_is_read_but_the_environment_wins(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("DJANGO_DEBUG=true\nMONGODB_DB=from-dotenv\nNEO4J_USER=from-dotenv\n")
    code = "from django.conf import settings; print(settings.DEBUG, settings.MONGODB_DB, settings.NEO4J_USER)"

    result = manage("shell", "-v0", "-c", code, DJANGO_ENV_FILE=str(dotenv), NEO4J_USER="from-environment")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "from-dotenv", "from-environment"]


# Secrets of a deployment's own (the local stack's are examples, which production refuses).
OWN_SECRETS = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DATABASE_URL": "postgres://console:own-password-1@db.example.test:5432/deletion_console",
    "TARGET_DATABASE_URL": "postgres://console:own-password-2@db.example.test:5432/platform",
    "RABBITMQ_URL": "amqp://console:own-password-3@mq.example.test:5672//",
    "NEO4J_PASSWORD": "own-password-4",
}
PRODUCTION = "deletion_console.config.settings_production"


def production(*args, **env):
    return manage(*args, **{"DJANGO_SETTINGS_MODULE": PRODUCTION, **OWN_SECRETS, **env})


def test_check_deploy_is_clean_for_the_production_settings():
    result = production("check", "--deploy", "--fail-level", "WARNING", DJANGO_ALLOWED_HOSTS="console.example.test")

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("variable", "example"),
    [
        ("DJANGO_SECRET_KEY", "change-me-to-a-long-random-value"),
        ("METRICS_TOKEN", "change-me-metrics-token"),
        ("NEO4J_PASSWORD", "neo4j-dev-password"),
        ("RABBITMQ_URL", "amqp://deletion:change-me-rabbitmq@mq.example.test:5672//"),
        ("DATABASE_URL", "postgres://deletion:deletion@db.example.test:5432/deletion_console"),
        ("DELETION_EVENTS_URL", "amqp://deletion-console:deletion-console-dev-password@mq.example.test//"),
    ],
)
def test_the_production_settings_refuse_every_example_secret_naming_the_variable_not_the_value(variable, example):
    result = production("check", **{variable: example})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "example secrets" in result.stderr
    assert variable in result.stderr.splitlines()[-1]
    assert example not in result.stderr


@pytest.mark.parametrize(
    ("trusted", "header"), [(None, "None"), ("false", "None"), ("true", "('HTTP_X_FORWARDED_PROTO', 'https')")]
)
def test_x_forwarded_proto_is_trusted_only_when_a_setting_says_so(trusted, header):
    code = "from django.conf import settings; print(settings.SECURE_PROXY_SSL_HEADER)"
    env = {"TRUST_X_FORWARDED_PROTO": trusted} if trusted else {}

    result = production("shell", "-v0", "-c", code, **env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == header


def test_the_production_settings_refuse_the_development_key_even_with_debug_asked_for():
    result = manage("check", DJANGO_SETTINGS_MODULE="deletion_console.config.settings_production", DJANGO_DEBUG="true")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
