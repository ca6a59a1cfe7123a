from django.contrib import admin
from django.urls import include, path

from deletion_console import views
from deletion_console.web import certificate_views

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("jobs/", include("deletion_console.web.urls")),
    path("api/", include("deletion_console.api.urls")),
    path("certificates/public-key.pem", certificate_views.public_key, name="certificate-public-key"),
    # Last: any other first segment names a kind's list (a plan's Listing.section).
    path("", include("deletion_console.web.target_urls")),
]
