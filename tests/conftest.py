import os

import pytest

# Fixtures that talk to the real stores and run a real Celery worker live in their own modules.
pytest_plugins = [
    "tests.fixtures.stores",
    "tests.fixtures.worker",
    "tests.fixtures.certificates",
    "tests.fixtures.audit",
]


def pytest_configure(config):
    # The suite wipes the stores it runs against: refuse anything but the dedicated test stack.
    if not os.environ.get("STACK_INSTANCE", "").startswith("test"):
        pytest.exit(
            "The tests wipe the databases they use, so they only run against the test stack. "
            "Run them with `make test` (it starts that stack and sets STACK_INSTANCE=test).",
            returncode=2,
        )


@pytest.fixture(autouse=True)
def previews_counted_inline(settings):
    """Pages that preview count inline in tests, however loaded the machine (the fast path: a
    process's first count also looks for uncovered containers): the tests that read counts in
    the HTML see them. The background path's own tests set it to 0."""
    settings.DELETION_PREVIEW_INLINE_SECONDS = 10


@pytest.fixture(autouse=True)
def fast_password_hashing(request, settings):
    """The default hasher costs a third of a second per user on a small machine, paid by every
    test that makes one. Browser tests keep it: daphne, in its own process, checks their
    passwords with the default list."""
    if request.node.get_closest_marker("browser") is None:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
