from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from deletion_console import views
from deletion_console.api.errors import bad_request, not_found
from deletion_console.monitoring.views import metrics
from deletion_console.web import certificate_views
from deletion_console.web.dashboard import dashboard

urlpatterns = [
    path("", views.home, name="home"),
    # /health/ is the readiness check under the name load balancers already probe.
    path("health/", views.health_ready, name="health"),
    path("health/live/", views.health_live, name="health-live"),
    path("health/ready/", views.health_ready, name="health-ready"),
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("jobs/", include("deletion_console.web.urls")),
    path("dashboard/", dashboard, name="dashboard"),
    path("orphans/", include("deletion_console.web.orphan_urls")),
    path("api/", include("deletion_console.api.urls")),
    path("certificates/public-key.pem", certificate_views.public_key, name="certificate-public-key"),
    # Last: any other first segment names a kind's list (a plan's Listing.section).
    path("", include("deletion_console.web.target_urls")),
]

if settings.PASSWORD_RESET_ENABLED:
    # Only with a mail backend that sends (settings.PASSWORD_RESET_ENABLED): else a reset would 500 or vanish.
    urlpatterns.insert(0, path("accounts/", include("django.contrib.auth.urls")))

handler400 = bad_request
handler404 = not_found
