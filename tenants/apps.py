from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    # For the dev tooling only (the demo seeder, the tests); the console never reads these. The
    # kind's demo data, and its tables in the target database (a file in this package).
    demo_seeder = "tenants.seeding"
    reference_schema = "schema.sql"
