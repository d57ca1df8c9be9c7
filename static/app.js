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

// Operations that take seconds without a job of their own (register and audit exports, report generation) say that
// they are working. A marked link is fetched in the background behind a status line, then saved under the name the
// server gives; a marked form says so while the next page is being built. Without fetch, links work as plain links.
(function () {
  function statusLine() {
    var line = document.getElementById("busy-status");
    if (!line) {
      line = document.createElement("div");
      line.id = "busy-status";
      line.className = "flash busy";
      line.setAttribute("role", "status");
      line.setAttribute("aria-live", "polite");
      var main = document.querySelector("main") || document.body;
      main.insertBefore(line, main.firstChild);
    }
    return line;
  }
  function show(text, working) {
    var line = statusLine();
    line.textContent = "";
    if (working) {
      var bar = document.createElement("progress");  // no value: indeterminate, the time is not known
      bar.setAttribute("aria-hidden", "true");
      line.appendChild(bar);
      line.appendChild(document.createTextNode(" "));
    }
    line.appendChild(document.createTextNode(text));
    line.classList.toggle("error", !working && line.dataset.failed === "y");
    line.hidden = false;
    return line;
  }
  function filename(disposition) {
    var match = /filename\*=UTF-8''([^;]+)/i.exec(disposition || "") || /filename="?([^";]+)"?/i.exec(disposition || "");
    return match ? decodeURIComponent(match[1]) : "export";
  }
  function save(blob, name) {
    var url = URL.createObjectURL(blob);
    var anchor = document.createElement("a");
    anchor.href = url;
    anchor.download = name;
    anchor.hidden = true;
    document.body.appendChild(anchor);
    anchor.click();
    anchor.remove();
    window.setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-busy]");
    if (!link || event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey
        || !window.fetch || !window.URL || !URL.createObjectURL) { return; }
    event.preventDefault();
    if (link.dataset.running) { return; }
    link.dataset.running = "y";
    var line = show(link.dataset.busy, true);
    line.dataset.failed = "";
    fetch(link.href, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        var name = filename(response.headers.get("Content-Disposition"));
        return response.blob().then(function (blob) { save(blob, name); return name; });
      })
      .then(function (name) { show((link.dataset.busyDone || "") + " " + name, false); },
            function () { line.dataset.failed = "y"; show(link.dataset.busyError || "", false); })
      .then(function () { delete link.dataset.running; });
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-busy]") || event.defaultPrevented) { return; }
    if (form.dataset.running) { event.preventDefault(); return; }  // one generation per click
    form.dataset.running = "y";
    show(form.dataset.busy, true);
  });
  window.addEventListener("pageshow", function (event) {  // back to a page kept in memory: ready again
    if (!event.persisted) { return; }
    document.querySelectorAll("form[data-running]").forEach(function (form) { delete form.dataset.running; });
    var line = document.getElementById("busy-status");
    if (line) { line.hidden = true; }
  });
})();

// The wizard (issue 13). Leaving a step with changes not saved asks first: a link of the page (the step menu) asks
// with the form's own message, closing or reloading the tab gets the browser's warning. Saving does not ask.
(function () {
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-leave-warning]");
    if (!form) { return; }
    var dirty = false, leaving = false;
    function mark() { dirty = true; }
    form.addEventListener("input", mark);
    form.addEventListener("change", mark);
    form.addEventListener("submit", function () { leaving = true; });
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("a[href]");
      if (!link || !dirty || leaving || event.defaultPrevented || link.hasAttribute("download")
          || link.getAttribute("href").charAt(0) === "#") { return; }
      if (window.confirm(form.dataset.leaveWarning)) { leaving = true; } else { event.preventDefault(); }
    });
    window.addEventListener("beforeunload", function (event) {
      if (dirty && !leaving) { event.preventDefault(); event.returnValue = ""; }
    });
  });
})();

// Dates typed are echoed in words under the field, in the page's language ("jeudi 12 mars 2026 à 14 h 20"), so
// that 12/03 cannot be read as 3 December. The input holds Paris wall-clock time: it is shown as typed.
(function () {
  var DAYS = { fr: ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
               en: ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"] };
  var MONTHS = { fr: ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
                      "novembre", "décembre"],
                 en: ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                      "October", "November", "December"] };
  function words(value, lang) {
    var m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?/.exec(value || "");
    if (!m) { return ""; }
    var en = lang === "en", y = +m[1], mo = +m[2], d = +m[3];
    var day = new Date(Date.UTC(y, mo - 1, d));
    if (day.getUTCMonth() !== mo - 1) { return ""; }
    var text = DAYS[en ? "en" : "fr"][day.getUTCDay()] + " " + (!en && d === 1 ? "1er" : d) + " "
      + MONTHS[en ? "en" : "fr"][mo - 1] + " " + y;
    if (m[4] !== undefined) {
      text += en ? " at " + m[4] + ":" + m[5] : " à " + m[4] + "\u00a0h\u00a0" + m[5];
    }
    return text;
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-date-words]").forEach(function (out) {
      var input = document.getElementById(out.id.replace(/-words$/, ""));
      if (!input) { return; }
      var update = function () { out.textContent = words(input.value, out.dataset.lang); };
      input.addEventListener("input", update);
      input.addEventListener("change", update);
      if (input.value) { update(); }
    });
  });
})();

// On a phone the step menu starts folded, so that the step itself is on the first screen.
(function () {
  document.addEventListener("DOMContentLoaded", function () {
    if (!window.matchMedia || !window.matchMedia("(max-width: 700px)").matches) { return; }
    document.querySelectorAll("details.steps-fold[open]").forEach(function (fold) { fold.open = false; });
  });
})();

// The wizard's step menu folds on a phone (issue 13.14): its fourteen steps filled the first screen at 390 px. The
// menu is put in a <details> whose summary names the current step; open on a wide screen, folded on a narrow one.
// Generic: any nav.steps, whatever its list holds. Without JavaScript the menu simply stays unfolded.
(function () {
  var narrow = window.matchMedia ? window.matchMedia("(max-width: 800px)") : null;
  function fold() {
    document.querySelectorAll("nav.steps").forEach(function (nav) {
      if (nav.querySelector("details.steps-fold")) { return; }
      var list = nav.querySelector("ol, ul");
      if (!list) { return; }
      var details = document.createElement("details");
      details.className = "steps-fold";
      var summary = document.createElement("summary");
      var current = nav.querySelector("[aria-current] a, a[aria-current]");
      summary.textContent = (nav.getAttribute("aria-label") || "") + (current ? " · " + current.textContent.trim() : "");
      details.appendChild(summary);
      nav.insertBefore(details, list);
      details.appendChild(list);
      details.open = !(narrow && narrow.matches);
    });
  }
  document.addEventListener("DOMContentLoaded", fold);
})();

// The case's timeline inserted into a textarea of the wizard (templates/cases/_timeline_insert.html): appended after
// what is already typed, then announced as typing, so that the "unsaved changes" warning knows of it.
(function () {
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-insert-into]") : null;
    if (!button) { return; }
    var area = document.getElementById(button.getAttribute("data-insert-into"));
    if (!area) { return; }
    var text = button.getAttribute("data-text") || "";
    area.value = area.value ? area.value.replace(/\s+$/, "") + "\n" + text : text;
    area.dispatchEvent(new Event("input", { bubbles: true }));
    area.focus();
  });
})();

// Nothing typed is lost when the session ends (30 minutes idle, 12 hours at most). While someone types in a form
// the session is kept alive (typing is activity; a page left alone still expires). When a step form is sent, the
// browser keeps a copy in sessionStorage (this tab only, gone when it closes, wiped at logout); if the send came
// back to the login page, the step page, once reopened with the same version, puts the typed values back and says
// so. A copy whose version differs from the page's was saved: it is dropped.
(function () {
  var PREFIX = "notifier-draft:";
  var TEXT = {
    fr: "Ce que vous aviez saisi avant la fin de votre session a été remis dans le formulaire\u00a0: vérifiez-le puis enregistrez.",
    en: "What you had typed before your session ended has been put back in the form: check it, then save."
  };
  function lang() { return document.documentElement.lang === "en" ? "en" : "fr"; }
  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== "csrf_token" && el.name !== "version" && el.type !== "submit"
        && el.type !== "button" && el.type !== "file" && el.type !== "password" && el.type !== "hidden";
    });
  }
  function snapshot(form) {
    return fields(form).map(function (el) {
      if (el.type === "checkbox" || el.type === "radio") { return [el.name, el.checked ? el.value : null]; }
      if (el.type === "select-multiple") {
        return [el.name, Array.prototype.filter.call(el.options, function (o) { return o.selected; })
          .map(function (o) { return o.value; })];
      }
      return [el.name, el.value];
    });
  }
  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }
  function restore(form, values) {
    var els = fields(form);
    values.forEach(function (pair, index) {
      var el = els[index];
      if (!el || el.name !== pair[0]) { return; }
      if (el.type === "checkbox" || el.type === "radio") { el.checked = pair[1] !== null; }
      else if (el.type === "select-multiple") {
        Array.prototype.forEach.call(el.options, function (o) { o.selected = pair[1].indexOf(o.value) !== -1; });
      } else { el.value = pair[1]; }
      el.dispatchEvent(new Event("input", { bubbles: true }));
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var keepalive = document.body.dataset.keepalive, lastPing = Date.now(), typed = false;
    if (keepalive) {
      document.addEventListener("input", function () { typed = true; });
      window.setInterval(function () {
        if (!typed || Date.now() - lastPing < 4 * 60000) { return; }
        typed = false; lastPing = Date.now();
        window.fetch(keepalive, { credentials: "same-origin", cache: "no-store" }).catch(function () {});
      }, 30000);
    }
    var logout = document.querySelector("form[data-logout]");
    if (logout) {
      logout.addEventListener("submit", function () {
        try { Object.keys(window.sessionStorage).forEach(function (key) {
          if (key.indexOf(PREFIX) === 0) { window.sessionStorage.removeItem(key); }
        }); } catch (e) { /* storage refused: nothing kept */ }
      });
    }
    var form = document.querySelector("form[data-leave-warning]");
    var version = form && form.querySelector("input[name=version]");
    if (!form || !version) { return; }
    var key = PREFIX + location.pathname;
    try {
      var kept = JSON.parse(window.sessionStorage.getItem(key) || "null");
      if (kept && kept.version === version.value && !same(kept.values, snapshot(form))) {
        restore(form, kept.values);
        var note = document.createElement("p");
        note.className = "flash warning draft-restored";
        note.setAttribute("role", "status");
        note.textContent = TEXT[lang()];
        form.insertBefore(note, form.firstChild);
      } else if (kept) {
        window.sessionStorage.removeItem(key);
      }
    } catch (e) { /* storage refused or unreadable: the page as the server sent it */ }
    form.addEventListener("submit", function () {
      try {
        window.sessionStorage.setItem(key, JSON.stringify({ version: version.value, values: snapshot(form) }));
      } catch (e) { /* storage full or refused */ }
    });
  });
})();
