"""A service account's broker user in the admin: the RabbitMQ user its requests by message come from."""

import pytest
from django.urls import reverse

from deletion_console.models import ServiceAccount
from tests.factories import UserFactory, service_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(client):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def test_a_new_account_is_given_its_broker_user(client, superuser):
    client.post(
        reverse("admin:deletion_console_serviceaccount_add"),
        {"name": "orders", "broker_user": "orders-service", "permissions": []},
    )

    assert ServiceAccount.objects.get().broker_user == "orders-service"


def test_one_broker_user_names_one_account_and_many_may_have_none(client, superuser):
    taken, _ = service_account("orders")
    taken.broker_user = "orders-service"
    taken.save()
    other, _ = service_account("billing")
    service_account("reports")  # a second account without a broker user

    response = client.post(
        reverse("admin:deletion_console_serviceaccount_change", args=[other.pk]),
        {"description": "", "broker_user": "orders-service", "permissions": []},
    )

    assert response.status_code == 200  # the form again, with the reason
    assert "broker user" in response.content.decode().lower()
    other.refresh_from_db()
    assert other.broker_user == ""
