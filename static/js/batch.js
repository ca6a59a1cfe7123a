// The batch page: one bar over every job of a bulk deletion, and each job's row, kept current
// by polling the batch's status (one query for the whole batch, however many jobs it has)
// until every job has ended.
(function () {
  "use strict";

  var root = document.getElementById("batch-progress");
  var snapshotNode = document.getElementById("batch-snapshot");
  if (!root || !snapshotNode) return;

  var POLL_MS = 1000;
  var MAX_BACKOFF_MS = 15000;
  var numbers = new Intl.NumberFormat("en-US");
  var failures = 0;

  function $(id) { return document.getElementById(id); }
  function setText(node, text) { if (node && node.textContent !== text) node.textContent = text; }

  function summary(byStatus) {
    var order = ["succeeded", "running", "pending", "queued", "failed", "cancelled", "scheduled", "awaiting_approval"];
    return order.filter(function (s) { return byStatus[s]; })
      .map(function (s) { return byStatus[s] + " " + s.replace("_", " "); }).join(" · ");
  }

  function renderRow(row) {
    var tr = root.querySelector('tr[data-job-id="' + row.id + '"]');
    if (!tr) return;
    var badge = tr.querySelector(".job-status");
    badge.className = "badge badge--" + row.status + " job-status";
    setText(badge, row.status_label);
    tr.querySelector(".job-bar").value = row.progress;
    setText(tr.querySelector(".job-percent"), String(Math.floor(row.progress)));
    setText(tr.querySelector(".job-deleted"), numbers.format(row.total_deleted));
    var error = tr.querySelector(".job-error");
    setText(error, row.error);
    error.hidden = !row.error;
    var resume = tr.querySelector(".job-resume");
    if (resume) resume.hidden = !row.resumable;
  }

  function renderFailures(rows) {
    var failed = rows.filter(function (row) { return row.status === "failed"; });
    $("batch-failures").hidden = failed.length === 0;
    var list = $("failure-list");
    list.textContent = "";
    failed.forEach(function (row) {
      var item = document.createElement("li");
      var name = document.createElement("strong");
      name.textContent = row.target_label || row.target_id;
      item.appendChild(name);
      item.appendChild(document.createTextNode(": " + row.error));
      list.appendChild(item);
    });
  }

  function render(batch) {
    var percent = Math.floor(batch.progress);
    $("batch-bar").value = batch.progress;
    setText($("batch-percent"), String(percent));
    setText($("batch-deleted"), numbers.format(batch.total_deleted));
    setText($("batch-expected"), numbers.format(batch.total_expected));
    setText($("batch-summary"), summary(batch.by_status));
    var state = $("batch-state");
    var allDone = batch.by_status.succeeded === batch.targets;
    setText(state, batch.finished ? (allDone ? "Succeeded" : "Finished with failures") : "Running");
    state.className = "badge badge--large badge--" + (batch.finished ? (allDone ? "succeeded" : "failed") : "running");
    root.setAttribute("data-status", batch.finished ? (allDone ? "succeeded" : "failed") : "running");
    batch.jobs.forEach(renderRow);
    renderFailures(batch.jobs);
    document.title = (batch.finished ? state.textContent : percent + " %") + " · Bulk deletion · Deletion Console";
  }

  function poll() {
    fetch(root.getAttribute("data-status-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.json();
      })
      .then(function (batch) {
        failures = 0;
        render(batch);
        // A resumed job makes a finished batch run again: keep polling slowly once finished.
        setTimeout(poll, batch.finished ? POLL_MS * 5 : POLL_MS);
      })
      .catch(function () {
        failures += 1;
        setTimeout(poll, Math.min(MAX_BACKOFF_MS, POLL_MS * Math.pow(2, failures)));
      });
  }

  render(JSON.parse(snapshotNode.textContent));
  setTimeout(poll, POLL_MS);
})();
