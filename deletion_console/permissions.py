"""Who may do what in the console: a permission to request deletions and one to approve other
people's requests, checked the same way by pages and the API."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

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
