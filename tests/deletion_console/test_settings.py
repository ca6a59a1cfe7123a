"""Settings hygiene, checked the way an operator meets it: `manage.py` in a fresh process."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

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


def test_check_deploy_is_clean_for_the_production_settings():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="deletion_console.config.settings_production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="console.example.test",
    )

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_the_production_settings_refuse_the_development_key_even_with_debug_asked_for():
    result = manage("check", DJANGO_SETTINGS_MODULE="deletion_console.config.settings_production", DJANGO_DEBUG="true")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
