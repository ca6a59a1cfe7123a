"""Writes on service accounts: issue, rotate and revoke the API tokens other services call with."""

import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils import timezone

from deletion_console.models import ServiceAccount
from deletion_console.selectors.service_accounts import hash_token

TOKEN_PREFIX = "dcs_"
# A heavily used token would otherwise write its row on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def _set_token(account: ServiceAccount) -> str:
    token = _new_token()
    account.token_prefix = token[: len(TOKEN_PREFIX) + 6]
    account.token_hash = hash_token(token)
    return token


@transaction.atomic
def create_service_account(
    *, name: str, description: str = "", broker_user: str = "", permissions=(), created_by=None
) -> tuple[ServiceAccount, str]:
    """The new account and its token, which is not stored and cannot be shown again.

    `permissions` are Permission objects or "app_label.codename" strings.
    """
    user = get_user_model()(username=f"service-{name}", is_active=True)
    user.set_unusable_password()
    user.save()
    account = ServiceAccount(
        name=name, description=description, broker_user=broker_user, user=user, created_by=created_by
    )
    token = _set_token(account)
    account.save()
    set_permissions(account=account, permissions=permissions)
    return account, token


def set_permissions(*, account: ServiceAccount, permissions) -> None:
    account.user.user_permissions.set([_permission(p) for p in permissions])


def _permission(value) -> Permission:
    if isinstance(value, Permission):
        return value
    app_label, codename = value.split(".", 1)
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def rotate_token(*, account: ServiceAccount) -> str:
    """A new token for the account; the old one stops working at once."""
    token = _set_token(account)
    account.save(update_fields=["token_prefix", "token_hash"])
    return token


def revoke(*, account: ServiceAccount) -> None:
    if account.revoked_at is None:
        account.revoked_at = timezone.now()
        account.save(update_fields=["revoked_at"])


def record_use(*, account: ServiceAccount) -> None:
    now = timezone.now()
    if account.last_used_at is None or now - account.last_used_at >= LAST_USED_RESOLUTION:
        ServiceAccount.objects.filter(pk=account.pk).update(last_used_at=now)
        account.last_used_at = now
