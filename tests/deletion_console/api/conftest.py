import pytest
import redis
from django.conf import settings
from rest_framework.test import APIClient

from tests.factories import service_account


def clear_throttle():
    # Only the throttle's keys: the cache's clear() would flush the broker's database with them.
    client = redis.Redis.from_url(settings.REDIS_URL)
    prefix = settings.CACHES[settings.API_THROTTLE_CACHE]["KEY_PREFIX"]
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


@pytest.fixture(autouse=True)
def fresh_throttle():
    """Every test starts with tokens that have made no requests yet (ids repeat across tests)."""
    clear_throttle()
    yield
    clear_throttle()


def token_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def service(db):
    """A service account that may request deletions, and a client calling with its token."""
    account, token = service_account("orders-service")
    return account, token_client(token)
