"""Writes on service accounts: issue, rotate and revoke the API tokens other services call with."""

import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils import timezone

from deletion_console.engine.plan import kinds
from deletion_console.models import ServiceAccount, TokenAction
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
    *, name: str, description: str = "", broker_user: str = "", permissions=(), scopes=None, created_by=None
) -> tuple[ServiceAccount, str]:
    """The new account and its token, which is not stored and cannot be shown again.

    `permissions` are Permission objects or "app_label.codename" strings; `scopes` is
    {kind: [action, ...]} (see set_scopes): an account given none may do nothing with its token.
    """
    user = get_user_model()(username=f"service-{name}", is_active=True)
    user.set_unusable_password()
    user.save()
    account = ServiceAccount(
        name=name,
        description=description,
        broker_user=broker_user,
        user=user,
        created_by=created_by,
        scopes=checked_scopes(scopes or {}),
    )
    token = _set_token(account)
    account.save()
    set_permissions(account=account, permissions=permissions)
    return account, token


def set_permissions(*, account: ServiceAccount, permissions) -> None:
    account.user.user_permissions.set([_permission(p) for p in permissions])


def set_scopes(*, account: ServiceAccount, scopes: dict) -> None:
    """What the account's token may do per kind of target: {kind: [action, ...]}."""
    account.scopes = checked_scopes(scopes)
    account.save(update_fields=["scopes"])


def checked_scopes(scopes: dict) -> dict[str, list[str]]:
    """`scopes` in the stored form (actions in their declared order, kinds without any left out),
    or ValueError naming the kind or action no plan or token knows."""
    declared = kinds()
    unknown_kinds = sorted(set(scopes) - set(declared))
    if unknown_kinds:
        known = ", ".join(declared)
        raise ValueError(f"No deletion plan for kind(s) {', '.join(unknown_kinds)}; known kinds: {known}.")
    named = {action for actions in scopes.values() for action in actions}
    unknown_actions = sorted(named - set(TokenAction.values))
    if unknown_actions:
        raise ValueError(
            f"Unknown token action(s) {', '.join(unknown_actions)}; known: {', '.join(TokenAction.values)}."
        )
    ordered = {kind: [a for a in TokenAction.values if a in scopes[kind]] for kind in declared if kind in scopes}
    return {kind: actions for kind, actions in ordered.items() if actions}


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
