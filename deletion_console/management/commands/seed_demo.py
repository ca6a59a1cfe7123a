from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from deletion_console.seeding.demo import seed_demo


class Command(BaseCommand):
    help = (
        "Seed the demo campaigns, players and tenants into MongoDB, Neo4j and the target PostgreSQL "
        "database. Does nothing if demo data is already there, unless --reset."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=42, help="same seed, same ids and names (default 42)")
        parser.add_argument("--campaigns", type=int, default=24, help="number of campaigns (default 24)")
        parser.add_argument(
            "--large-events", type=int, default=100_000, help="events of the largest campaign (default 100000)"
        )
        parser.add_argument("--tenants", type=int, default=3, help="number of tenants (default 3)")
        parser.add_argument(
            "--large-tenant-rows",
            type=int,
            default=6_300,
            help="rows per table of the largest tenant (default 6,300: about 100,000 rows in all)",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="first wipe what the seeder owns: both Mongo databases, every Neo4j node, the target tables",
        )

    def handle(self, *args, **options):
        # --reset wipes whole databases: never against servers configured for production.
        if options["reset"] and not settings.DEBUG:
            raise CommandError("--reset wipes every store the console points at; it only runs with DJANGO_DEBUG=true.")
        seed_demo(
            seed=options["seed"],
            campaigns=options["campaigns"],
            large_events=options["large_events"],
            tenants=options["tenants"],
            large_tenant_rows=options["large_tenant_rows"],
            reset=options["reset"],
            stdout=self.stdout,
        )
