import pytest

from tests.deletion_console.api.conftest import clear_throttle


@pytest.fixture(autouse=True)
def fresh_preview_throttle():
    """The confirm page's previews are counted per person in Redis (ids repeat across tests)."""
    clear_throttle()
    yield
    clear_throttle()
