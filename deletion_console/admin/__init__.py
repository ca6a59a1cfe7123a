"""The Django admin, an interface like the pages and the API: the audit trail (jobs and their
events, batches, orphan sweeps) and the service accounts. Django's admin autodiscovery imports this
package; importing its modules registers their ModelAdmins."""

from deletion_console.admin import jobs, service_accounts  # noqa: F401
