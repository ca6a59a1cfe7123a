"""Which store errors count as an outage, for the engine's retries and the web's 503s."""

from pymongo.errors import OperationFailure

from deletion_console.stores import errors

# What FerretDB answered the first delete after its PostgreSQL had restarted (captured from a run
# of the suite): its pooled backend connection had been terminated by the shutdown.
BACKEND_TERMINATED = {
    "ok": 0.0,
    "errmsg": "[msg_delete.go:95 handler.(*Handler).MsgDelete] [msg_delete.go:139 handler.(*Handler).execDelete] "
    "[query_iterator.go:92 postgresql.(*queryIterator).Next] FATAL: terminating connection due to administrator "
    "command (SQLSTATE 57P01)",
    "code": 1,
    "codeName": "InternalError",
}


def test_ferretdb_losing_its_backend_connection_to_a_restart_is_an_outage_worth_retrying():
    exc = OperationFailure(BACKEND_TERMINATED["errmsg"], BACKEND_TERMINATED["code"], BACKEND_TERMINATED)

    assert errors.is_transient(exc)


def test_ferretdb_refusing_a_statement_or_a_bad_query_is_not_an_outage():
    too_big = OperationFailure("extended protocol limited to 65535 parameters", 1)
    bad = OperationFailure("unknown operator: $frobnicate (SQLSTATE 42601)", 2)

    assert not errors.is_transient(too_big)
    assert not errors.is_transient(bad)
