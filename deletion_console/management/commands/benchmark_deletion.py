import json

from django.core.management.base import BaseCommand

from deletion_console.devtools import bench


def _sizes(text: str) -> tuple[int, ...]:
    return tuple(int(float(part)) for part in text.split(",") if part)


class Command(BaseCommand):
    help = (
        "Benchmark deletion on a store holding at least --background other documents: campaigns of each size "
        "through a real worker, the raw floor, the naive loop, a tiny campaign, progress latency and 1 vs 2 workers."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--sizes", type=_sizes, default=(10_000, 100_000, 1_000_000), help="entities, e.g. 1e4,1e5,1e6"
        )
        parser.add_argument(
            "--raw-sizes", type=_sizes, default=(10_000, 100_000), help="sizes that also get a raw floor"
        )
        parser.add_argument(
            "--background", type=int, default=1_000_000, help="other campaigns' events kept in the store"
        )
        parser.add_argument("--tiny-runs", type=int, default=10)
        parser.add_argument("--parallel-jobs", type=int, default=10)
        parser.add_argument(
            "--parallel-size", type=int, default=5_000, help="entities per job of the 1 vs 2 workers run"
        )
        parser.add_argument("--json", dest="json_path", help="also write the figures to this file")

    def handle(
        self, *args, sizes, raw_sizes, background, tiny_runs, parallel_jobs, parallel_size, json_path, **options
    ):
        results = bench.run(
            sizes=sizes,
            raw_sizes=raw_sizes,
            background=background,
            tiny_runs=tiny_runs,
            parallel_jobs=parallel_jobs,
            parallel_size=parallel_size,
            log=lambda line: self.stderr.write(line),
        )
        rows = bench.table(results)
        width = max(len(measure) for measure, _, _ in rows)
        value_width = max(len(value) for _, value, _ in rows)
        self.stdout.write(f"{'measure':<{width}}  {'value':<{value_width}}  target")
        self.stdout.write(f"{'-' * width}  {'-' * value_width}  {'-' * 14}")
        for measure, value, target in rows:
            self.stdout.write(f"{measure:<{width}}  {value:<{value_width}}  {target}")
        if json_path:
            with open(json_path, "w") as out:
                json.dump({**results.as_dict(), "table": rows}, out, indent=2)
