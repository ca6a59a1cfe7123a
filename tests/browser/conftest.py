"""The console served by a real daphne process, for the browser tests."""

import os
import subprocess
import sys
import time

import pytest

from tests.browser.support import ROOT, free_port, http_status
from tests.fixtures import worker


@pytest.fixture
def console(transactional_db):
    """daphne serving deletion_console.config.asgi on a free port, against the pytest database."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    worker.LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = open(worker.LOG_DIR / "daphne.log", "ab")  # noqa: SIM115 (kept open for the process)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "deletion_console.config.asgi:application",
        ],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": worker.console_database_url()},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"daphne exited with {proc.returncode}; see {worker.LOG_DIR / 'daphne.log'}")
            try:
                if http_status(f"{base}/accounts/login/") == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("daphne did not answer within 30 s")
            time.sleep(0.2)
        assert http_status(f"{base}/static/js/progress.js") == 200, "the ASGI application does not serve static files"
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
