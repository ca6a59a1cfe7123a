from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from deletion_console.devtools.demo import add_demo_arguments, seed_demo


class Command(BaseCommand):
    help = (
        "Seed every installed kind's demo data (campaigns and their players, tenants) into MongoDB, Neo4j "
        "and the target PostgreSQL database. Does nothing if demo data is already there, unless --reset."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=42, help="same seed, same ids and names (default 42)")
        # Each kind's own sizes (--campaigns, --tenants, ...), from its seeder.
        add_demo_arguments(parser)
        parser.add_argument(
            "--reset",
            action="store_true",
            help="first wipe what the seeder owns: both Mongo databases, every Neo4j node, the target tables",
        )

    def handle(self, *args, **options):
        # --reset wipes whole databases: never against servers configured for production.
        if options["reset"] and not settings.DEBUG:
            raise CommandError("--reset wipes every store the console points at; it only runs with DJANGO_DEBUG=true.")
        # Each kind's seeder takes the options it added and ignores the rest.
        seed_demo(**{**options, "stdout": self.stdout})
