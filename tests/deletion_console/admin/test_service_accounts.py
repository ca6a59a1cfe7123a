"""Service accounts in the admin: the token is shown once, on the page that issues it."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from rest_framework.test import APIClient

from deletion_console.models import ServiceAccount
from deletion_console.selectors.service_accounts import active_account_for_token, hash_token
from tests.factories import UserFactory, service_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(client):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def _shown_token(response) -> str:
    return re.search(r'id="service-token"[^>]*value="([^"]+)"', response.content.decode()).group(1)


def test_creating_an_account_shows_its_token_once_and_stores_only_its_hash(client, superuser):
    permission = Permission.objects.get(codename="request_deletion")

    response = client.post(
        reverse("admin:deletion_console_serviceaccount_add"),
        {
            "name": "orders-service",
            "description": "Orders",
            "permissions": [permission.pk],
            "token_scopes": ["campaign:read", "campaign:preview", "campaign:request"],
        },
    )

    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    token = _shown_token(response)
    account = ServiceAccount.objects.get()
    assert account.token_hash == hash_token(token) and account.created_by == superuser
    assert account.user.has_perm("deletion_console.request_deletion")
    change_page = client.get(reverse("admin:deletion_console_serviceaccount_change", args=[account.pk]))
    assert token not in change_page.content.decode() and account.token_prefix in change_page.content.decode()
    bearer = APIClient(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert bearer.get(reverse("api:campaign-preview", args=["nope"])).status_code == 404


def test_the_revoke_action_stops_the_token(client, superuser):
    account, token = service_account("billing")

    client.post(
        reverse("admin:deletion_console_serviceaccount_changelist"),
        {"action": "revoke_selected", "_selected_action": [account.pk]},
    )

    account.refresh_from_db()
    assert account.is_revoked and active_account_for_token(token) is None


def test_issuing_a_new_token_shows_it_and_retires_the_old_one(client, superuser):
    account, old = service_account("billing")

    response = client.post(
        reverse("admin:deletion_console_serviceaccount_changelist"),
        {"action": "rotate_token", "_selected_action": [account.pk]},
    )

    new = _shown_token(response)
    assert new != old and active_account_for_token(old) is None
    assert active_account_for_token(new) == account


def test_permissions_are_changed_on_the_account_and_it_cannot_be_deleted(client, superuser):
    account, _ = service_account("billing")

    client.post(
        reverse("admin:deletion_console_serviceaccount_change", args=[account.pk]),
        {"description": "read only now", "permissions": []},
    )

    account.refresh_from_db()
    assert account.description == "read only now"
    assert not account.user.has_perm("deletion_console.request_deletion")
    assert client.get(reverse("admin:deletion_console_serviceaccount_delete", args=[account.pk])).status_code == 403


def test_the_scopes_ticked_on_a_new_account_are_what_its_token_may_do(client, superuser):
    permission = Permission.objects.get(codename="request_deletion")

    response = client.post(
        reverse("admin:deletion_console_serviceaccount_add"),
        {"name": "campaign-tool", "permissions": [permission.pk], "token_scopes": ["campaign:preview"]},
    )

    bearer = APIClient(HTTP_AUTHORIZATION=f"Bearer {_shown_token(response)}")
    assert ServiceAccount.objects.get().scopes == {"campaign": ["preview"]}
    assert bearer.get(reverse("api:campaign-preview", args=["nope"])).status_code == 404
    assert bearer.get(reverse("api:target-preview", args=["tenant", "nope"])).status_code == 403


def test_an_account_created_without_scopes_may_do_nothing_with_its_token(client, superuser):
    permission = Permission.objects.get(codename="request_deletion")

    response = client.post(
        reverse("admin:deletion_console_serviceaccount_add"), {"name": "unscoped", "permissions": [permission.pk]}
    )

    bearer = APIClient(HTTP_AUTHORIZATION=f"Bearer {_shown_token(response)}")
    assert ServiceAccount.objects.get().scopes == {}
    assert bearer.get(reverse("api:campaign-preview", args=["nope"])).status_code == 403


def test_the_change_page_shows_and_changes_the_scopes(client, superuser):
    account, _ = service_account("billing", scopes={"campaign": ["read", "cancel"]})
    url = reverse("admin:deletion_console_serviceaccount_change", args=[account.pk])
    page = client.get(url).content.decode()
    assert re.search(r'value="campaign:cancel"[^>]*checked', page)
    assert not re.search(r'value="tenant:read"[^>]*checked', page)

    client.post(
        url,
        {
            "description": "",
            "permissions": [Permission.objects.get(codename="request_deletion").pk],
            "token_scopes": ["tenant:read", "tenant:resume", "campaign:read"],
        },
    )

    account.refresh_from_db()
    assert account.scopes == {"campaign": ["read"], "tenant": ["read", "resume"]}
    listing = client.get(reverse("admin:deletion_console_serviceaccount_changelist")).content.decode()
    assert "campaign: read; tenant: read, resume" in listing


def test_a_scope_no_plan_or_token_knows_is_refused(client, superuser):
    account, _ = service_account("billing", scopes={"campaign": ["read"]})

    response = client.post(
        reverse("admin:deletion_console_serviceaccount_change", args=[account.pk]),
        {"description": "", "permissions": [], "token_scopes": ["campaign:read", "planet:read", "campaign:destroy"]},
    )

    assert response.status_code == 200 and "token_scopes" in response.context["adminform"].form.errors
    account.refresh_from_db()
    assert account.scopes == {"campaign": ["read"]}
