"""The audit log: every job's events in one sequence, appended by the database and never changed.

Events gain `facts` (what a transition established, covered by their hash). Existing events are
entered into the log in the order they were appended; then the database takes over: a trigger
appends each new event's entry as its transaction commits, and triggers refuse any UPDATE or
DELETE of the events and of the log (TRUNCATE, which only an owner may run, is not refused: it
empties a test database). Last, each existing job's row is attested by an event stating its
facts as they stand, so an upgraded database verifies and later edits of a row are reported.
"""

from django.db import migrations, models
from django.utils import timezone

from deletion_console import audit_chain, audit_facts

BATCH = 1000

KINDS = [
    ("requested", "Requested"),
    ("awaiting-approval", "Awaiting approval"),
    ("approved", "Approved"),
    ("rejected", "Rejected"),
    ("expired", "Approval expired"),
    ("scheduled", "Scheduled"),
    ("grace-period-over", "Grace period over"),
    ("run-now", "Run now"),
    ("queued", "Queued in its bulk request"),
    ("dequeued", "Left its bulk request's queue"),
    ("cancel-requested", "Cancel requested"),
    ("resumed", "Resumed"),
    ("requeued", "Requeued"),
    ("started", "Step started"),
    ("progress", "Progress"),
    ("batch", "Batch deleted"),
    ("retry", "Retry"),
    ("succeeded", "Succeeded"),
    ("failed", "Failed"),
    ("cancelled", "Cancelled"),
    ("attested", "Record attested"),
]

# The trigger computes an entry's hash as audit_chain.log_link does.
TRIGGERS = """
CREATE FUNCTION deletion_console_audit_log_append() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    at bigint;
    before varchar(64);
    place integer;
BEGIN
    -- The log is one sequence: one writer at a time. The trigger is deferred to the commit, so
    -- the lock is taken last and held only while the entry is written, never while a job's row
    -- lock is awaited (which could deadlock two transactions that append for two jobs).
    PERFORM pg_advisory_xact_lock(hashtext('deletion_console_auditlog'));
    SELECT "position", hash INTO at, before FROM deletion_console_auditlog ORDER BY "position" DESC LIMIT 1;
    at := coalesce(at, 0) + 1;
    before := coalesce(before, repeat('0', 64));
    SELECT coalesce(max(job_position), 0) + 1 INTO place FROM deletion_console_auditlog WHERE job_id = NEW.job_id;
    INSERT INTO deletion_console_auditlog ("position", job_id, job_position, event_id, event_hash, prev_hash, hash)
    VALUES (
        at, NEW.job_id, place, NEW.id, NEW.hash, before,
        encode(sha256(convert_to(
            concat_ws('|', before, at::text, NEW.job_id::text, place::text, NEW.id::text, NEW.hash), 'UTF8'
        )), 'hex')
    );
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER deletion_console_jobevent_logged
    AFTER INSERT ON deletion_console_jobevent DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION deletion_console_audit_log_append();

CREATE FUNCTION deletion_console_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Audit events and the audit log are never changed or removed; verify_audit reports tampering.';
END
$$;

CREATE TRIGGER deletion_console_jobevent_append_only
    BEFORE UPDATE OR DELETE ON deletion_console_jobevent
    FOR EACH ROW EXECUTE FUNCTION deletion_console_refuse_change();

CREATE TRIGGER deletion_console_auditlog_append_only
    BEFORE UPDATE OR DELETE ON deletion_console_auditlog
    FOR EACH ROW EXECUTE FUNCTION deletion_console_refuse_change();
"""

DROP_TRIGGERS = """
DROP TRIGGER deletion_console_auditlog_append_only ON deletion_console_auditlog;
DROP TRIGGER deletion_console_jobevent_append_only ON deletion_console_jobevent;
DROP FUNCTION deletion_console_refuse_change();
DROP TRIGGER deletion_console_jobevent_logged ON deletion_console_jobevent;
DROP FUNCTION deletion_console_audit_log_append();
"""


def log_existing_events(apps, schema_editor):
    JobEvent = apps.get_model("deletion_console", "JobEvent")
    Entry = apps.get_model("deletion_console", "AuditLogEntry")
    prev_hash, places, pending = audit_chain.GENESIS, {}, []
    events = JobEvent.objects.order_by("id").values_list("id", "job_id", "hash")
    for position, (event_id, job_id, event_hash) in enumerate(events.iterator(chunk_size=BATCH), start=1):
        place = places[job_id] = places.get(job_id, 0) + 1
        entry = Entry(position=position, job_id=job_id, job_position=place, event_id=event_id, event_hash=event_hash)
        entry.prev_hash = prev_hash
        entry.hash = prev_hash = audit_chain.log_link(
            prev_hash, position=position, job_id=job_id, job_position=place, event_id=event_id, event_hash=event_hash
        )
        pending.append(entry)
        if len(pending) >= BATCH:
            Entry.objects.bulk_create(pending)
            pending = []
    Entry.objects.bulk_create(pending)


def forget_attestations(apps, schema_editor):
    # Going back: the events this migration appended state facts that the older chain does not
    # hash (events appended since the upgrade do too, and no longer verify under older code).
    apps.get_model("deletion_console", "JobEvent").objects.filter(kind="attested").delete()


def attest_existing_jobs(apps, schema_editor):
    """One event per existing job, appended to its chain, stating its row's facts as they stand."""
    DeletionJob = apps.get_model("deletion_console", "DeletionJob")
    JobEvent = apps.get_model("deletion_console", "JobEvent")
    jobs = DeletionJob.objects.select_related("requested_by", "approved_by").order_by("created_at", "id")
    for job in jobs.iterator(chunk_size=BATCH):
        last = JobEvent.objects.filter(job_id=job.pk).order_by("-id").values_list("hash", flat=True).first()
        event = JobEvent(
            job_id=job.pk,
            kind="attested",
            message="the job's record as it stood when the audit log began",
            facts=audit_facts.of_record(job),
            created_at=timezone.now(),
        )
        event.prev_hash = last or audit_chain.GENESIS
        event.hash = audit_chain.link(event.prev_hash, audit_chain.event_content(event))
        event.save()


class Migration(migrations.Migration):
    dependencies = [
        ("deletion_console", "0013_service_account_scopes"),
    ]

    operations = [
        migrations.AddField(
            model_name="jobevent",
            name="facts",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AlterField(
            model_name="jobevent",
            name="kind",
            field=models.CharField(choices=KINDS, max_length=32),
        ),
        migrations.CreateModel(
            name="AuditLogEntry",
            fields=[
                ("position", models.BigIntegerField(primary_key=True, serialize=False)),
                ("job_id", models.UUIDField()),
                ("job_position", models.PositiveIntegerField()),
                ("event_id", models.BigIntegerField(unique=True)),
                ("event_hash", models.CharField(max_length=64)),
                ("prev_hash", models.CharField(max_length=64)),
                ("hash", models.CharField(max_length=64)),
            ],
            options={
                "verbose_name_plural": "audit log entries",
                "db_table": "deletion_console_auditlog",
                "ordering": ["position"],
                "constraints": [
                    models.UniqueConstraint(fields=("job_id", "job_position"), name="audit_log_job_position_once")
                ],
            },
        ),
        migrations.RunPython(log_existing_events, forget_attestations),
        migrations.RunSQL(TRIGGERS, DROP_TRIGGERS),
        # After the triggers: the database logs these events as it will every later one.
        migrations.RunPython(attest_existing_jobs, migrations.RunPython.noop),
    ]
