import uuid

from django.core.management.base import BaseCommand, CommandError

from deletion_console.models import DeletionJob
from deletion_console.selectors.audit import logged_job_ids, verify_chains, verify_log


class Command(BaseCommand):
    help = (
        "Verify the audit: every job's trail (or only the given jobs') against its hash chain, the audit log "
        "and the job's row, jobs removed that the log still names, and the audit log's own sequence. Reports "
        "each broken trail's job and the position of its first break. Exits non-zero if anything is broken."
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
        log_breaks = verify_log()
        for log_break in log_breaks:
            self.stderr.write(log_break.describe())
        problems = []
        if broken:
            problems.append(f"{len(broken)} of {checked} audit trails are broken")
        if log_breaks:
            problems.append(f"the audit log is broken in {len(log_breaks)} place{'s' if len(log_breaks) != 1 else ''}")
        if problems:
            raise CommandError("; ".join(problems) + ".")
        trails = f"{checked} audit trail{'s' if checked != 1 else ''}"
        self.stdout.write(self.style.SUCCESS(f"{trails} verified: intact, and the audit log with them."))


def _job_ids(values: list[str]) -> list[uuid.UUID]:
    ids = []
    for value in values:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            raise CommandError(f"Not a job id: {value!r}") from None
    # A job the audit log names is checked even when its row is gone: that is what it reports.
    missing = set(ids) - set(DeletionJob.objects.filter(pk__in=ids).values_list("pk", flat=True)) - logged_job_ids(ids)
    if missing:
        raise CommandError(f"No such job: {', '.join(sorted(map(str, missing)))}")
    return ids
