// The confirm pages' counts, filled in as the workers make them: the page asks for its counts
// fragment again until every target is counted, and only then enables the confirm button, so
// the signatures the form sends are those of the counts on the screen.
(function () {
  "use strict";

  var live = document.getElementById("preview-live");
  var button = document.getElementById("confirm-button");
  if (!live || !live.getAttribute("data-poll-url") || live.getAttribute("data-done") === "true") return;

  var POLL_MS = 500;
  var MAX_BACKOFF_MS = 10000;
  var failures = 0;

  function apply(state) {
    live.innerHTML = state.html;
    live.setAttribute("data-done", state.done ? "true" : "false");
    if (button) {
      if (state.button) button.textContent = state.button;
      button.disabled = !state.done;
    }
  }

  function poll() {
    fetch(live.getAttribute("data-poll-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.json();
      })
      .then(function (state) {
        failures = 0;
        apply(state);
        if (!state.done && !state.error) setTimeout(poll, POLL_MS);
      })
      .catch(function () {
        failures += 1;
        setTimeout(poll, Math.min(MAX_BACKOFF_MS, POLL_MS * Math.pow(2, failures)));
      });
  }

  setTimeout(poll, POLL_MS);
})();
