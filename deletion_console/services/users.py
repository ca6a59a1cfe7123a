from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission


def ensure_demo_admin(username: str, password: str):
    """A superuser who also holds the deletion permission explicitly, so it shows in the admin."""
    user, _ = get_user_model().objects.get_or_create(username=username)
    user.is_staff = user.is_superuser = True
    user.set_password(password)
    user.save()
    user.user_permissions.add(Permission.objects.get(codename="request_deletion"))
    return user


def by(user) -> str:
    """Who did something, as the audit trail says it."""
    return f"by {user.get_username()}" if user is not None and user.is_authenticated else "by the command line"
