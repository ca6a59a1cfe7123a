from django.core.management.base import BaseCommand, CommandError

from deletion_console.devtools import drills


class Command(BaseCommand):
    help = (
        "Reliability drills on the local test stack, with workers of their own: a worker killed mid-chunk, each "
        "server stopped mid-job, 20 jobs at once and a soak. Prints one table; exits 1 if a job ended with residue."
    )

    def add_arguments(self, parser):
        parser.add_argument("--outage-seconds", type=float, default=20.0, help="how long each server stays down")
        parser.add_argument("--soak-jobs", type=int, default=300)
        parser.add_argument(
            "--only",
            help=f"comma-separated drills: crash, {', '.join(drills.SERVERS)}, concurrency, soak (default: all)",
        )

    def handle(self, *args, outage_seconds, soak_jobs, only, **options):
        wanted = set(only.split(",")) if only else None
        rows = drills.run(
            outage_seconds=outage_seconds, soak_jobs=soak_jobs, only=wanted, log=lambda line: self.stderr.write(line)
        )
        lines = drills.table(rows)
        widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
        for n, line in enumerate(lines):
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
            if n == 0:
                self.stdout.write("  ".join("-" * width for width in widths))
        if any(row.residue for row in rows):
            raise CommandError("a drill left residue")
