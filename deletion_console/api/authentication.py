"""`Authorization: Bearer <token>` for service accounts."""

from drf_spectacular.authentication import BasicScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, BasicAuthentication
from rest_framework.exceptions import AuthenticationFailed

from deletion_console.monitoring.access import bearer_token
from deletion_console.selectors.service_accounts import active_account_for_token
from deletion_console.services.service_accounts import record_use


class ServiceTokenAuthentication(BaseAuthentication):
    """The request's user is the account's user; `request.auth` is the ServiceAccount.

    A request without a bearer token is left to the other authentication classes; one with a
    token that is unknown or revoked is refused (401), never treated as anonymous.
    """

    def authenticate(self, request):
        token = bearer_token(request)
        if token is None:
            return None
        account = active_account_for_token(token)
        if account is None:
            raise AuthenticationFailed("Invalid or revoked API token.")
        record_use(account=account)
        return account.user, account

    def authenticate_header(self, request):
        # Makes DRF answer 401 (with this challenge) rather than 403 to unauthenticated callers.
        return 'Bearer realm="api"'


class LockoutBasicAuthentication(BasicAuthentication):
    """Basic auth counted and locked out by django-axes, as the sign-in page is: its backend
    refuses a locked-out username or address before any password is hashed.

    Axes marks the request it is given, and its middleware reads the mark on Django's request,
    which DRF's wrapper does not pass attribute writes through to: hence the wrapped request.
    """

    def authenticate_credentials(self, userid, password, request=None):
        django_request = getattr(request, "_request", request)
        return super().authenticate_credentials(userid, password, request=django_request)


class ServiceTokenScheme(OpenApiAuthenticationExtension):
    target_class = ServiceTokenAuthentication
    name = "serviceToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A service account's API token, issued once in the admin.",
        }


class LockoutBasicScheme(BasicScheme):
    target_class = LockoutBasicAuthentication
    priority = 0
