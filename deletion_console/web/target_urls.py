from django.urls import path

from deletion_console.web import targets

app_name = "targets"

# /<section>/ is each plan's Listing.section (/campaigns/, /tenants/): a kind added in the
# settings gets its pages without a route of its own.
urlpatterns = [
    path("<slug:section>/", targets.target_list, name="list"),
    path("<slug:section>/<str:target_id>/delete/", targets.target_delete, name="delete"),
]
