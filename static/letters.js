// Letter generation progress: the server renders the state; this keeps it up to date from the JSON status endpoint
// (GET .../status.json) until the job ends, then reloads once so the download links appear. No inline script (CSP).
(function () {
  "use strict";
  function duration(seconds) {
    if (seconds === null || seconds === undefined || seconds === "") { return "\u2014"; }
    var s = Math.max(0, Math.round(seconds));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    return (h ? h + "\u00a0h " : "") + (h || m ? m + "\u00a0min " : "") + r + "\u00a0s";
  }
  function percent(value) {
    // As the server renders it: 37,5 in French, 37.5 in English, 100 rather than 100.0.
    var text = String(value);
    return (document.documentElement.lang || "fr") === "fr" ? text.replace(".", ",") : text;
  }
  function update(box, state) {
    var labels = {};
    try { labels = JSON.parse(box.dataset.statusLabels || "{}"); } catch (e) { labels = {}; }
    var bar = box.querySelector("progress");
    if (bar) { bar.max = state.total || 1; bar.value = state.done; bar.textContent = percent(state.percent) + " %"; }
    box.querySelectorAll("[data-field]").forEach(function (el) {
      var key = el.dataset.field;
      if (key === "seconds_left") { el.textContent = duration(state.seconds_left); return; }
      if (key === "rate") { el.textContent = state.rate ? Math.round(state.rate) : "\u2014"; return; }
      if (key === "percent") { el.textContent = percent(state.percent); return; }
      if (key === "error") { el.textContent = state.error || ""; el.hidden = !state.error; return; }
      if (key === "status") { el.textContent = labels[state.status] || state.status; return; }
      if (key in state && state[key] !== null) { el.textContent = state[key]; }
    });
  }
  function updateLots(state) {
    // The job page's table of lots: each lot's state, and its download link as soon as it is written.
    var table = document.querySelector("table[data-lots]");
    if (!table || !state.lot_states) { return; }
    var labels = {};
    try { labels = JSON.parse(table.dataset.lotLabels || "{}"); } catch (e) { labels = {}; }
    state.lot_states.forEach(function (pair) {
      var row = table.querySelector('tr[data-lot="' + pair[0] + '"]');
      if (!row) { return; }
      var cell = row.querySelector("[data-lot-state]");
      if (cell) { cell.textContent = labels[pair[1]] || pair[1]; }
      var name = row.querySelector("[data-lot-name]");
      if (pair[1] === "done" && name && !name.querySelector("a")) {
        var link = document.createElement("a");
        link.href = name.dataset.href;
        link.textContent = name.textContent;
        name.textContent = "";
        name.appendChild(link);
      }
    });
  }
  function follow(box) {
    var url = box.dataset.statusUrl;
    var wasRunning = !box.dataset.finished;
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (state) {
          if (!state) { return; }
          update(box, state);
          updateLots(state);
          if (state.finished) {
            if (wasRunning && !box.dataset.reloaded) { box.dataset.reloaded = "y"; window.location.reload(); }
            return;
          }
          window.setTimeout(poll, 1500);
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    }
    var left = box.querySelector("[data-field=seconds_left]");
    if (left && left.dataset.seconds) { left.textContent = duration(Number(left.dataset.seconds)); }
    if (wasRunning) { window.setTimeout(poll, 500); }
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".letter-job[data-status-url]").forEach(follow);
  });
})();
