from django.urls import path

from campaigns import views
from deletion_console.web.views import job_progress

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("<str:campaign_id>/delete/", views.campaign_delete, name="delete"),
    # The generic job page, under the campaign pages so a campaign's deletion reads as one place.
    path("deletion/<uuid:job_id>/status/", job_progress, name="status"),
]
