from django.urls import path

from deletion_console.api import views

app_name = "api"

urlpatterns = [
    path("targets/<slug:kind>/<str:target_id>/preview/", views.TargetPreviewView.as_view(), name="target-preview"),
    # The route campaign clients already use: the same view, its kind fixed.
    path(
        "campaigns/<str:target_id>/preview/",
        views.TargetPreviewView.as_view(),
        {"kind": "campaign"},
        name="campaign-preview",
    ),
    path("deletions/", views.DeletionsView.as_view(), name="deletions"),
    path("deletions/<uuid:job_id>/", views.DeletionDetailView.as_view(), name="deletion-detail"),
    path("deletions/<uuid:job_id>/cancel/", views.CancelView.as_view(), name="deletion-cancel"),
    path("deletions/<uuid:job_id>/resume/", views.ResumeView.as_view(), name="deletion-resume"),
]
