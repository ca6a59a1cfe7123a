"""Reads on service accounts."""

import hashlib

from deletion_console.engine.orphans import owner_kind_of
from deletion_console.models import ServiceAccount


def hash_token(token: str) -> str:
    # A plain SHA-256 suffices: the token is 256 random bits, not a password to be guessed.
    return hashlib.sha256(token.encode()).hexdigest()


def active_account_for_token(token: str) -> ServiceAccount | None:
    """The account this token belongs to, unless it was revoked or its user deactivated.

    Looked up by hash: equal hashes of a high-entropy token leave no timing to exploit.
    """
    account = ServiceAccount.objects.select_related("user").filter(token_hash=hash_token(token)).first()
    if account is None or account.is_revoked or not account.user.is_active:
        return None
    return account


def is_service_account(user) -> bool:
    return bool(user is not None and user.is_authenticated and ServiceAccount.objects.filter(user=user).exists())


def scope_kind(kind: str) -> str:
    """The kind whose scope governs `kind`: a derived kind (the cleaning of a kind's orphaned
    data) is governed by its owner kind's, as its safeguards are."""
    return owner_kind_of(kind) or kind


def token_may(account: ServiceAccount, *, kind: str, action: str) -> bool:
    """Whether the account's scopes allow `action` (a TokenAction) on targets and jobs of `kind`."""
    return action in account.scopes.get(scope_kind(kind), ())


def token_has_kind(account: ServiceAccount, kind: str) -> bool:
    """Whether the account may do anything at all with `kind`: one that may not is not told its jobs exist."""
    return bool(account.scopes.get(scope_kind(kind)))


def token_may_anywhere(account: ServiceAccount, action: str) -> bool:
    return any(action in actions for actions in account.scopes.values())
