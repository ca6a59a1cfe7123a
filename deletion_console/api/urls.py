from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from deletion_console import identifiers  # noqa: F401  (registers <target_id:...>)
from deletion_console.api import views

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path(
        "targets/<slug:kind>/<target_id:target_id>/preview/", views.TargetPreviewView.as_view(), name="target-preview"
    ),
    # The route campaign clients already use: the same view, its kind fixed.
    path(
        "campaigns/<target_id:target_id>/preview/",
        views.TargetPreviewView.as_view(),
        {"kind": "campaign"},
        name="campaign-preview",
    ),
    path("previews/", views.PreviewsView.as_view(), name="previews"),
    path("previews/<uuid:preview_id>/", views.PreviewDetailView.as_view(), name="preview-detail"),
    path("deletions/", views.DeletionsView.as_view(), name="deletions"),
    path("deletions/<uuid:job_id>/", views.DeletionDetailView.as_view(), name="deletion-detail"),
    path("batches/<uuid:batch_id>/", views.BatchDetailView.as_view(), name="batch-detail"),
    path("deletions/<uuid:job_id>/cancel/", views.CancelView.as_view(), name="deletion-cancel"),
    path("deletions/<uuid:job_id>/resume/", views.ResumeView.as_view(), name="deletion-resume"),
    # Seed-compatible routes (see README, "The API"): no trailing slash, as the seeds write them.
    path(
        "v1/delete/campaign/<target_id:campaign_id>",
        views.SeedCampaignDeletionView.as_view(),
        name="v1-campaign-delete",
    ),
    path("v1/delete/status/<uuid:request_id>", views.SeedStatusView.as_view(), name="v1-status"),
    path("v1/delete/cancel/<uuid:request_id>", views.SeedCancelView.as_view(), name="v1-cancel"),
    path(
        "v1/tenant/<target_id:tenant_id>/deletion-preview",
        views.SeedTenantPreviewView.as_view(),
        name="v1-tenant-preview",
    ),
    path("v1/tenant/<target_id:tenant_id>", views.SeedTenantView.as_view(), name="v1-tenant-delete"),
]
