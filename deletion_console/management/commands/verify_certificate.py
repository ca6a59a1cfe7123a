from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from deletion_console.certificates import keys, signing


class Command(BaseCommand):
    help = (
        "Check a deletion certificate (the JSON file) offline: signed by the given public key (by default the "
        "one of this installation's settings) and unchanged since it was issued. Exits non-zero otherwise."
    )
    # Offline: no database, no system checks that might reach one.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("file", help="the certificate's JSON file")
        parser.add_argument(
            "--public-key",
            metavar="PEMFILE",
            help="the issuer's public key (as published at /certificates/public-key.pem)",
        )

    def handle(self, *args, file, public_key, **options):
        key = _public_key(public_key)
        try:
            data = Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from None
        try:
            verified = signing.verify(data, key)
        except signing.CertificateInvalid as exc:
            raise CommandError(f"INVALID: {file}: {exc}") from None
        body = verified.body
        target = body.get("target", {})
        note = " (development key: not evidence)" if body.get("development_key") else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Valid: deletion of {target.get('kind')} {target.get('label')!r} ({target.get('id')}), job "
                f"{body.get('job')}, finished {body.get('finished_at')}, signed by key {verified.key_id}{note}."
            )
        )


def _public_key(path: str | None):
    try:
        if path:
            return keys.load_public_pem(Path(path).read_bytes())
        return keys.signing_key().public
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror}") from None
    except keys.CertificateKeyError as exc:
        raise CommandError(f"{exc} Or give the issuer's public key with --public-key.") from None
