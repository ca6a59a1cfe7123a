from django.urls import path

from deletion_console.web import orphans

app_name = "orphans"

urlpatterns = [
    path("", orphans.orphans_page, name="index"),
    path("sweep/", orphans.sweep_now, name="sweep"),
    path("<slug:kind>/clean/", orphans.clean_up, name="clean"),
]
