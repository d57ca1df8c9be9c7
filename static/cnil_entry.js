// "Saisie sur notifications.cnil.fr": the copy buttons. The value is the text of the element named by data-copy;
// the button says "Copié" for two seconds. Without the Clipboard API (an old browser, plain http), the text is
// selected so that Ctrl+C copies it.
(function () {
  "use strict";
  function select(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy]");
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) return;
    var label = button.firstChild.nodeValue;
    var done = function () {
      button.firstChild.nodeValue = button.getAttribute("data-done");
      button.classList.add("copied");
      window.setTimeout(function () {
        button.firstChild.nodeValue = label;
        button.classList.remove("copied");
      }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(source.textContent).then(done, function () { select(source); });
    } else {
      select(source);
    }
  });
})();
