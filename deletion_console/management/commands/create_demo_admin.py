"""Make sure the demo admin exists, with the deletion permission, and print how to sign in."""

from django.core.management.base import BaseCommand

from deletion_console.services.users import ensure_demo_admin


class Command(BaseCommand):
    help = "Create (or reset) the demo admin account and print its credentials."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--password", default="admin-demo-password")

    def handle(self, *args, username, password, **options):
        ensure_demo_admin(username, password)
        self.stdout.write(self.style.SUCCESS(f"Demo admin: username {username!r}, password {password!r}"))
