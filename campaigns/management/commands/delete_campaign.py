"""`delete_target campaign …`, shorter: the same command with the kind fixed."""

from deletion_console.management.commands import delete_target


class Command(delete_target.Command):
    help = "Preview, delete, resume or cancel the deletion of a campaign (delete_target campaign ...)."
    kind = "campaign"
