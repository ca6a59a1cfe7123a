"""Helpers for the browser tests: Debian's Chromium, a free port, database calls beside Playwright."""

import socket
import threading
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
# Debian's build (scripts/ensure-chromium.sh): Playwright's own browser download cannot work here.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# Records every value the page shows, from before its own script runs, so the test can tell
# the counters moved (and the socket was live) however quickly the job goes.
RECORDER = """
window.__seen = {total: [], percent: [], connection: [], status: []};
document.addEventListener("DOMContentLoaded", () => {
  const watch = (id, key) => {
    const node = document.getElementById(id);
    if (!node) return;
    const note = () => {
      const value = node.textContent.trim();
      const list = window.__seen[key];
      if (list[list.length - 1] !== value) list.push(value);
    };
    note();
    new MutationObserver(note).observe(node, {childList: true, characterData: true, subtree: true});
  };
  watch("total-deleted", "total");
  watch("progress-percent", "percent");
  watch("connection", "connection");
  watch("job-status", "status");
});
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@contextmanager
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/ensure-chromium.sh")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def outside_the_browser_loop(fn, *args, **kwargs):
    """Run a database call while Playwright is open.

    Playwright's sync API keeps an event loop running in the test's thread, where Django
    refuses synchronous queries; a short-lived thread has no loop, and its connection is closed
    afterwards so the test database can be flushed and dropped.
    """
    result = {}

    def run():
        try:
            result["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # handed back to the test's thread
            result["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result.get("value")
