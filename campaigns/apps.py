from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    # For the dev tooling only (the demo seeder, the benchmark, the tests); the console never reads
    # these. The kind's demo data, and its tables in the target database (a file in this package).
    demo_seeder = "campaigns.seeding"
    reference_schema = "schema.sql"
