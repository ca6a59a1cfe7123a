"""Who may do what in the console: a permission to request deletions and one to approve other
people's requests, checked the same way by pages and the API; and, for a service account's
token, its scopes (what it may do per kind of target), checked by the API."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission

from deletion_console.models import ServiceAccount
from deletion_console.selectors.service_accounts import token_has_kind, token_may, token_may_anywhere

REQUEST_DELETION = "deletion_console.request_deletion"
APPROVE_DELETION = "deletion_console.approve_deletion"


def can_request_deletion(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(REQUEST_DELETION))


def can_approve_deletion(user) -> bool:
    """The second person of a second approval (never for their own request: services.approvals)."""
    return bool(user and user.is_authenticated and user.has_perm(APPROVE_DELETION))


def deletion_permission_required(view):
    """Anonymous users are sent to sign in; signed-in users without the permission get a 403.

    Django's `permission_required(raise_exception=True)` would answer 403 to anonymous users
    too, and without `raise_exception` it would bounce permission-less users to a login page
    they are already past.
    """

    @wraps(view)
    def checked(request, *args, **kwargs):
        if not can_request_deletion(request.user):
            raise PermissionDenied("You need the “request deletion” permission for this.")
        return view(request, *args, **kwargs)

    return login_required(checked)


class CanRequestDeletion(BasePermission):
    message = "You need the “request deletion” permission for this."

    def has_permission(self, request, view):
        return can_request_deletion(request.user)


def approval_permission_required(view):
    @wraps(view)
    def checked(request, *args, **kwargs):
        if not can_approve_deletion(request.user):
            raise PermissionDenied("You need the “approve deletion” permission for this.")
        return view(request, *args, **kwargs)

    return login_required(checked)


class TokenScope(BasePermission):
    """A service token's scopes: the view's `token_action` (a TokenAction) on every kind its
    `scope_kinds(request)` names. People pass: their Django permissions alone decide.

    A view about a job (or a bulk request) sets `hides_unscoped = True`: a token with no scope at
    all on that job's kind is told there is no such job (404), as if it did not exist. Kinds are
    no secret, so a route that names one in its URL or body answers 403. A request that names no
    kind the view can read (a malformed body, an unknown job) is the view's to refuse; it still
    needs a token scoped to the action on some kind.
    """

    def has_permission(self, request, view):
        account = request.auth
        if not isinstance(account, ServiceAccount):
            return True
        action = view.token_action
        named = set(view.scope_kinds(request))
        if not named:
            self.message = f"This token's scopes allow no {action} on any kind."
            return token_may_anywhere(account, action)
        refused = sorted(kind for kind in named if not token_may(account, kind=kind, action=action))
        if not refused:
            return True
        if view.hides_unscoped and not any(token_has_kind(account, kind) for kind in refused):
            raise NotFound(view.not_found_message)
        self.message = f"This token's scopes do not allow {action} on {', '.join(refused)}."
        return False
