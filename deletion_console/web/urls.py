from django.urls import path

from deletion_console.web import bulk, certificate_views, views

app_name = "jobs"

urlpatterns = [
    path("", views.jobs, name="list"),
    path("<uuid:job_id>/", views.job_progress, name="progress"),
    path("batches/<uuid:batch_id>/", bulk.bulk_progress, name="batch"),
    path("<uuid:job_id>/cancel/", views.cancel, name="cancel"),
    path("<uuid:job_id>/resume/", views.resume, name="resume"),
    path("<uuid:job_id>/run-now/", views.run_now, name="run-now"),
    path("<uuid:job_id>/approve/", views.approve, name="approve"),
    path("<uuid:job_id>/reject/", views.reject, name="reject"),
    path("<uuid:job_id>/certificate/", certificate_views.certificate_page, name="certificate"),
    path("<uuid:job_id>/certificate.json", certificate_views.certificate_json, name="certificate-json"),
]
