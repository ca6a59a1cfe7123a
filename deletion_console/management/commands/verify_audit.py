import uuid

from django.core.management.base import BaseCommand, CommandError

from deletion_console.models import DeletionJob
from deletion_console.selectors.audit import verify_chains


class Command(BaseCommand):
    help = (
        "Recompute the hash chain of every job's audit trail (or only the given jobs') and report the first "
        "broken event of each broken chain. Exits non-zero if any chain is broken."
    )

    def add_arguments(self, parser):
        parser.add_argument("jobs", nargs="*", metavar="JOB", help="job ids (default: every job)")

    def handle(self, *args, jobs, **options):
        job_ids = _job_ids(jobs) if jobs else None
        checked, broken = 0, []
        for report in verify_chains(job_ids):
            checked += 1
            line = f"job {report.job_id}: {report.describe()}"
            if report.intact:
                if options["verbosity"] > 1:
                    self.stdout.write(line)
            else:
                broken.append(report)
                self.stderr.write(line)
        if broken:
            raise CommandError(f"{len(broken)} of {checked} audit trails are broken.")
        self.stdout.write(self.style.SUCCESS(f"{checked} audit trail{'s' if checked != 1 else ''} verified: intact."))


def _job_ids(values: list[str]) -> list[uuid.UUID]:
    ids = []
    for value in values:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            raise CommandError(f"Not a job id: {value!r}") from None
    missing = set(ids) - set(DeletionJob.objects.filter(pk__in=ids).values_list("pk", flat=True))
    if missing:
        raise CommandError(f"No such job: {', '.join(sorted(map(str, missing)))}")
    return ids
