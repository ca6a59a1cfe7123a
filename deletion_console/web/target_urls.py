from django.urls import path

from deletion_console import identifiers  # noqa: F401  (registers <target_id:...>)
from deletion_console.web import bulk, previews, targets, views

app_name = "targets"

# /<section>/ is each plan's Listing.section (/campaigns/, /tenants/): a kind added in the
# settings gets its pages without a route of its own.
urlpatterns = [
    # Before the sections: what a confirm page polls while its counts are being made.
    path("previews/<uuid:preview_id>/", previews.preview_progress, name="preview-progress"),
    path("<slug:section>/", targets.target_list, name="list"),
    # Before the single target's route: "bulk" is no target id.
    path("<slug:section>/bulk/delete/", bulk.bulk_delete, name="bulk-delete"),
    path("<slug:section>/<target_id:target_id>/delete/", targets.target_delete, name="delete"),
    # Seed 000's progress page; clients and bookmarks made against it still find the job.
    path("<slug:section>/deletion/<uuid:job_id>/status/", views.seed_status, name="seed-status"),
]
