from django.urls import path

from deletion_console.api import views

app_name = "api"

urlpatterns = [
    path("campaigns/<str:campaign_id>/preview/", views.CampaignPreviewView.as_view(), name="campaign-preview"),
    path("deletions/", views.DeletionsView.as_view(), name="deletions"),
    path("deletions/<uuid:job_id>/", views.DeletionDetailView.as_view(), name="deletion-detail"),
    path("deletions/<uuid:job_id>/cancel/", views.CancelView.as_view(), name="deletion-cancel"),
    path("deletions/<uuid:job_id>/resume/", views.ResumeView.as_view(), name="deletion-resume"),
]
