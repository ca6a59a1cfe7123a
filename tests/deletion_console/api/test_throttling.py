"""Previews (GET) are throttled per token and per person: each counts a target in every store."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.deletion_console.api.conftest import token_client
from tests.factories import deleter, service_account

pytestmark = pytest.mark.django_db

PREVIEWS = [
    reverse("api:target-preview", args=["campaign", "nope"]),
    reverse("api:campaign-preview", args=["nope"]),
    reverse("api:v1-tenant-preview", args=["nope"]),
]


def test_a_persons_previews_beyond_the_rate_get_429_with_retry_after_on_every_preview_route(settings):
    settings.API_PREVIEW_RATE = "3/min"
    person = APIClient()
    person.force_authenticate(deleter(username="dana"))

    answers = [person.get(url).status_code for url in PREVIEWS]
    throttled = person.get(PREVIEWS[0])

    assert answers == [404, 404, 404]  # the targets do not exist: counted all the same
    assert throttled.status_code == 429 and int(throttled["Retry-After"]) > 0


def test_previews_are_counted_per_token_and_other_reads_are_not_throttled(service, settings):
    settings.API_PREVIEW_RATE = "2/min"
    _, client = service
    other = token_client(service_account("billing")[1])

    answers = [client.get(PREVIEWS[0]).status_code for _ in range(3)]

    assert answers == [404, 404, 429]
    assert other.get(PREVIEWS[0]).status_code == 404
    job = reverse("api:deletion-detail", args=["00000000-0000-0000-0000-000000000000"])
    assert all(client.get(job).status_code == 404 for _ in range(3))
