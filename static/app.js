// Live countdowns: the server renders the remaining time; this only keeps it ticking. No inline script (CSP).
(function () {
  function fmt(ms, lang) {
    var total = Math.floor(Math.abs(ms) / 60000);
    var d = Math.floor(total / 1440), h = Math.floor((total % 1440) / 60), m = total % 60;
    var mm = (m < 10 ? "0" : "") + m;
    var day = lang === "en" ? "\u00a0d " : "\u00a0j ";
    return (d ? d + day : "") + h + "\u00a0h " + mm + "\u00a0min";
  }
  function tick() {
    document.querySelectorAll(".clock[data-due]").forEach(function (el) {
      if (el.dataset.done || el.classList.contains("immediate")) { return; }
      var left = new Date(el.dataset.due).getTime() - Date.now();
      var out = el.querySelector(".countdown");
      if (!out) { return; }
      out.textContent = fmt(left, el.dataset.lang);
      if (left < 0 && !el.classList.contains("overdue")) { el.classList.add("overdue"); }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { tick(); setInterval(tick, 30000); });
})();
