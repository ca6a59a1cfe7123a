from django.core.management.base import BaseCommand

from deletion_console import bench


class Command(BaseCommand):
    help = "Seed one large campaign, delete it through a real worker, and print time and peak memory."

    def add_arguments(self, parser):
        parser.add_argument("--events", type=int, default=99_000, help="campaign_events documents")
        parser.add_argument("--children", type=int, default=100, help="documents per child collection")
        parser.add_argument("--players", type=int, default=50)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, events, children, players, seed, **options):
        result = bench.run(events=events, children=children, players=players, seed=seed)
        rows = [
            ("entities deleted (all stores)", f"{result.entities:,}"),
            ("job status", result.status),
            ("seeding", f"{result.seed_seconds:.1f} s"),
            ("preview (dry run)", f"{result.preview_seconds:.2f} s"),
            *((f"step {step}", f"{s:.2f} s" if s is not None else "-") for step, s in result.step_seconds.items()),
            ("deletion, request to verified", f"{result.total_seconds:.1f} s"),
            ("throughput", f"{result.entities / result.total_seconds:,.0f} entities/s"),
            ("worker RSS idle", f"{result.idle_rss_mb:.0f} MB"),
            ("worker RSS peak (VmHWM)", f"{result.peak_rss_mb:.0f} MB"),
        ]
        width = max(len(label) for label, _ in rows)
        self.stdout.write(f"{'measure':<{width}}  value")
        self.stdout.write(f"{'-' * width}  {'-' * 16}")
        for label, value in rows:
            self.stdout.write(f"{label:<{width}}  {value}")
