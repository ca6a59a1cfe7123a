from django.core.management.base import BaseCommand

from deletion_console.services.indexes import ensure_indexes


class Command(BaseCommand):
    help = (
        "Create the indexes the deletion plans look things up by, in MongoDB (and FerretDB's backend) and "
        "Neo4j; report the target PostgreSQL's, and create those too with --apply. Safe to run repeatedly."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--apply",
            action="store_true",
            help="also create missing indexes in the target PostgreSQL database (CREATE INDEX CONCURRENTLY)",
        )

    def handle(self, *args, apply, **options):
        states = ensure_indexes(apply_target=apply)
        width = max((len(s.index) for s in states), default=10)
        for state in states:
            self.stdout.write(f"{state.store:<10}  {state.index:<{width}}  {state.state}")
        missing = [s for s in states if s.state == "missing"]
        if missing:
            self.stdout.write(
                self.style.WARNING(
                    f"{len(missing)} index(es) missing in the target PostgreSQL: every batch on those tables scans "
                    "them. Run again with --apply to create them (CONCURRENTLY, without blocking writes)."
                )
            )
