// Live progress page. The server renders the job as it was; this keeps it current.
//
// Messages come from the WebSocket (a snapshot on connect, then updates) or, while the socket
// is down, from polling the JSON status view. Every message carries the job's sequence number,
// and anything older than what is shown is dropped: messages from the two sources, or from a
// socket before and after a reconnect, may arrive out of order. Channels may also drop a
// message, so a quiet socket on an active job is checked against the status view.
(function () {
  "use strict";

  var root = document.getElementById("job-progress");
  var snapshotNode = document.getElementById("job-snapshot");
  if (!root || !snapshotNode) return;

  var TERMINAL = { succeeded: true, failed: true, cancelled: true };
  var STATUS_LABELS = {
    pending: "Pending", running: "Running", succeeded: "Succeeded", failed: "Failed", cancelled: "Cancelled",
    scheduled: "Scheduled", awaiting_approval: "Awaiting approval", queued: "Queued in its batch",
  };
  var POLL_MS = 2000;
  var QUIET_MS = 8000; // an active job normally reports at least this often
  var MAX_BACKOFF_MS = 30000;
  var DENIED = 4403; // the consumer's close code for "may not see this job"

  var numbers = new Intl.NumberFormat("en-US");
  var job = JSON.parse(snapshotNode.textContent);
  var lastSeq = job.seq;
  var lastHeard = Date.now();

  var socket = null;
  var failures = 0;
  var reconnectTimer = null;
  var pollTimer = null;
  var finished = false;

  function $(id) { return document.getElementById(id); }

  function formatSeconds(seconds) {
    if (seconds === null || seconds === undefined || isNaN(seconds)) return "";
    if (seconds < 60) return seconds.toFixed(1) + " s";
    var whole = Math.round(seconds);
    var h = Math.floor(whole / 3600), m = Math.floor((whole % 3600) / 60), s = whole % 60;
    var mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(s).padStart(2, "0");
  }

  function secondsBetween(startIso, endIso) {
    if (!startIso) return null;
    var end = endIso ? Date.parse(endIso) : Date.now();
    return Math.max(0, (end - Date.parse(startIso)) / 1000);
  }

  function setText(node, text) {
    if (node && node.textContent !== text) node.textContent = text;
  }

  function show(node, visible) {
    if (node) node.hidden = !visible;
  }

  // -- rendering ------------------------------------------------------------------------------

  function renderStatus() {
    var badge = $("job-status");
    badge.className = "badge badge--large badge--" + job.status;
    setText(badge, STATUS_LABELS[job.status] || job.status);
    // Below 100 until the job has succeeded: the engine holds progress at 99 until verified.
    var percent = job.status === "succeeded" ? 100 : Math.min(99, Math.floor(job.progress));
    $("progress-bar").value = percent;
    setText($("progress-percent"), String(percent));
    setText($("total-deleted"), numbers.format(job.total_deleted));
    setText($("total-expected"), numbers.format(job.total_expected));
    document.title = (TERMINAL[job.status] ? STATUS_LABELS[job.status] : percent + " %") + " · " +
      (job.target_label || job.target_id) + " · Deletion Console";
  }

  function renderElapsed() {
    var seconds = secondsBetween(job.started_at, job.finished_at);
    setText($("elapsed"), seconds === null ? "not started" : formatSeconds(seconds));
  }

  function renderPhases() {
    // Steps that run side by side: their phase's state, and how many of them are done.
    var items = document.querySelectorAll("#steps [data-phase]");
    for (var i = 0; i < items.length; i++) {
      var state = (job.phases || {})[items[i].dataset.phase] || "pending";
      items[i].className = "step step--" + state;
      var badge = items[i].querySelector("[data-role=state]");
      badge.className = "badge badge--" + state;
      setText(badge, state);
      var children = items[i].querySelectorAll("[data-step]"), done = 0;
      for (var j = 0; j < children.length; j++) {
        if ((job.steps[children[j].dataset.step] || {}).state === "done") done++;
      }
      setText(items[i].querySelector("[data-role=done]"), String(done));
    }
  }

  function renderSteps() {
    renderPhases();
    var items = document.querySelectorAll("#steps [data-step]");
    for (var i = 0; i < items.length; i++) {
      var item = items[i];
      var step = job.steps[item.dataset.step] || { state: "pending" };
      var state = step.state || "pending";
      item.className = "step step--" + state;
      var badge = item.querySelector("[data-role=state]");
      badge.className = "badge badge--" + state;
      setText(badge, state);
      var seconds = step.seconds;
      if ((seconds === undefined || seconds === null) && (state === "running" || state === "retrying")) {
        seconds = secondsBetween(step.started_at, null);
      }
      setText(item.querySelector("[data-role=duration]"), formatSeconds(seconds));
      var error = item.querySelector("[data-role=error]");
      setText(error, step.last_error || "");
      show(error, Boolean(step.last_error) && state !== "done");
    }
  }

  function renderCounters() {
    var rows = document.querySelectorAll("#counters tr[data-step]");
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i];
      var step = row.dataset.step, entity = row.dataset.entity;
      var deleted = (job.counts[step] || {})[entity] || 0;
      var expected = (job.preview[step] || {})[entity] || 0;
      setText(row.querySelector("[data-role=deleted]"), numbers.format(deleted));
      setText(row.querySelector("[data-role=expected]"), numbers.format(expected));
      row.classList.toggle("row--done", expected > 0 && deleted >= expected);
    }
  }

  function renderOutcome() {
    var active = !TERMINAL[job.status];
    show($("outcome-succeeded"), job.status === "succeeded");
    show($("outcome-failed"), job.status === "failed");
    show($("outcome-cancelled"), job.status === "cancelled");
    setText($("job-error"), job.error || "");
    document.querySelectorAll("#outcome-succeeded [data-bind=total_deleted]").forEach(function (node) {
      setText(node, numbers.format(job.total_deleted));
    });
    document.querySelectorAll("#outcome-succeeded [data-bind=duration]").forEach(function (node) {
      setText(node, formatSeconds(secondsBetween(job.started_at, job.finished_at)) || "no time");
    });
    var warnings = $("warnings");
    if (warnings.children.length !== job.warnings.length ||
        Array.prototype.some.call(warnings.children, function (li, i) { return li.textContent !== job.warnings[i]; })) {
      warnings.replaceChildren.apply(warnings, job.warnings.map(function (text) {
        var li = document.createElement("li");
        li.textContent = text;
        return li;
      }));
    }
    show(warnings, job.warnings.length > 0);
    show($("cancel-form"), active && !job.cancel_requested);
    show($("cancel-requested"), active && job.cancel_requested);
    show($("resume-form"), job.status === "failed" || job.status === "cancelled");
  }

  function renderHeld() {
    // A held job: the grace period's countdown, or the approval it waits for.
    var scheduled = job.status === "scheduled", awaiting = job.status === "awaiting_approval";
    show($("held"), scheduled || awaiting || Boolean(job.approved_at));
    show($("held-scheduled"), scheduled);
    show($("held-approval"), awaiting);
    show($("approved-note"), Boolean(job.approved_at));
    if (scheduled && job.run_after) {
      var left = Math.max(0, (Date.parse(job.run_after) - Date.now()) / 1000);
      setText($("countdown"), left > 0 ? formatSeconds(Math.ceil(left)) : "a moment");
      var when = $("run-after");
      if (when && when.getAttribute("datetime") !== job.run_after) {
        when.setAttribute("datetime", job.run_after);
        setText(when, job.run_after.replace("T", " ").slice(0, 19) + " UTC");
      }
    }
  }

  function render() {
    renderHeld();
    renderStatus();
    renderElapsed();
    renderSteps();
    renderCounters();
    renderOutcome();
    root.dataset.status = job.status;
    root.dataset.seq = String(job.seq);
  }

  function setConnection(text) {
    setText($("connection"), text);
  }

  // -- messages -------------------------------------------------------------------------------

  function apply(next) {
    lastHeard = Date.now();
    if (!next || typeof next.seq !== "number" || next.seq < lastSeq) return; // stale
    lastSeq = next.seq;
    job = next;
    render();
    if (TERMINAL[job.status]) finish();
  }

  function finish() {
    finished = true;
    clearTimeout(reconnectTimer);
    stopPolling();
    if (socket) socket.close(1000);
    socket = null;
    setConnection("");
  }

  function poll() {
    return fetch(root.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 403 || response.status === 404) {
          setConnection("No longer allowed to follow this job; reload the page.");
          stopPolling();
          return null;
        }
        return response.ok ? response.json() : null;
      })
      .then(function (data) { if (data) apply(data); })
      .catch(function () { /* offline for a moment: the next tick tries again */ });
  }

  function startPolling() {
    if (pollTimer || finished) return;
    poll();
    pollTimer = setInterval(poll, POLL_MS);
  }

  function stopPolling() {
    clearInterval(pollTimer);
    pollTimer = null;
  }

  // -- the socket -----------------------------------------------------------------------------

  function connect() {
    if (finished) return;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var ws;
    try {
      ws = new WebSocket(scheme + location.host + root.dataset.socketPath);
    } catch (e) {
      socketDown();
      return;
    }
    socket = ws;
    if (!pollTimer) setConnection("Connecting…");
    var delivered = false;
    ws.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (!message || !message.job) return;
      // Only a socket that delivers counts as up: one that opens and closes at once (a proxy,
      // a server restarting) must keep backing off, and polling must go on meanwhile.
      if (!delivered) {
        delivered = true;
        failures = 0;
        stopPolling();
        setConnection("Live");
      }
      // A snapshot after a reconnect starts again from the truth; updates may be stale.
      apply(message.job);
    };
    ws.onclose = function (event) {
      if (socket === ws) socket = null;
      if (finished) return;
      if (event.code === DENIED) {
        setConnection("Live updates refused; checking the status every few seconds.");
        startPolling();
        return;
      }
      socketDown();
    };
  }

  function socketDown() {
    setConnection("Reconnecting… (checking the status every few seconds)");
    startPolling();
    // Exponential backoff with jitter, so many open pages do not reconnect in lockstep.
    var delay = Math.min(MAX_BACKOFF_MS, 1000 * Math.pow(2, failures)) * (0.5 + Math.random() / 2);
    failures += 1;
    clearTimeout(reconnectTimer);
    reconnectTimer = setTimeout(connect, delay);
  }

  function tick() {
    if (finished) return;
    renderHeld();
    renderElapsed();
    renderSteps();
    if (socket && socket.readyState === WebSocket.OPEN && Date.now() - lastHeard > QUIET_MS) {
      lastHeard = Date.now();
      poll();
    }
  }

  render();
  if (TERMINAL[job.status]) {
    finished = true; // a page opened after the end shows the final state and opens nothing
  } else {
    connect();
    setInterval(tick, 1000);
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden && !finished) poll();
    });
  }
})();
