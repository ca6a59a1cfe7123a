"""Run the consumer of deletion requests by message until SIGTERM or Ctrl-C (README "Requests by message")."""

import logging
import signal

from django.core.management.base import BaseCommand

from deletion_console.amqp import request_consumer

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Consume <kind>.delete.requested messages from the events broker and create their deletion jobs; "
        "refused messages go to the dead-letter queue."
    )

    def handle(self, *args, **options):
        with request_consumer.connection() as conn:
            consumer = request_consumer.RequestConsumer(conn)

            # The message in hand is finished (acked, dead-lettered or put back) before the process exits.
            def stop(signum, frame):
                consumer.stop()

            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
            consumer.run()
        log.info("Stopped consuming deletion requests")
