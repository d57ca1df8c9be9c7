// Patient import page: while the import runs in the background, poll its JSON status every second and update the
// counters; reload the page when it ends (to show the result, the rejected rows and the corrections). No inline
// script (CSP).
(function () {
  "use strict";
  var POLL_MS = 1000;

  function format(n, lang) {
    var text = String(n).replace(/\B(?=(\d{3})+(?!\d))/g, lang === "en" ? "," : "\u202f");
    return text;
  }

  function poll(box) {
    var lang = document.documentElement.lang || "fr";
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (state) {
        ["read", "accepted", "rejected", "held"].forEach(function (name) {
          var out = box.querySelector('[data-count="' + name + '"]');
          if (out) { out.textContent = format(state[name], lang); }
        });
        if (state.finished || state.status !== "running") {
          window.location.reload();
        } else {
          window.setTimeout(function () { poll(box); }, POLL_MS);
        }
      })
      .catch(function () {
        // A network hiccup or a restart: try again a little later; the import itself does not depend on the page.
        window.setTimeout(function () { poll(box); }, POLL_MS * 5);
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("import-status");
    if (box && box.dataset.status === "running" && box.dataset.statusUrl && window.fetch) {
      window.setTimeout(function () { poll(box); }, POLL_MS);
    }
  });
})();
