// The console works without this script; it only spares a few clicks.
"use strict";
document.addEventListener("submit", function (event) {
  // One click, one request: a second click while the first is on its way is ignored.
  var form = event.target;
  if (form.dataset.sent) { event.preventDefault(); return; }
  form.dataset.sent = "1";
  window.setTimeout(function () { delete form.dataset.sent; }, 5000);
});
document.addEventListener("click", function (event) {
  var link = event.target.closest("a[data-back]");
  if (link && window.history.length > 1) { event.preventDefault(); window.history.back(); }
});
// The bot message editor: the preview follows the text as it is typed (the Preview button
// does the same without this script).
(function () {
  var editor = document.getElementById("editor");
  if (!editor || !window.fetch || !window.DOMParser) { return; }
  var timer = null;
  var asked = 0;
  function preview() {
    var data = new URLSearchParams(new FormData(editor));
    data.set("action", "preview");
    var mine = ++asked;
    fetch(editor.getAttribute("action"), {method: "POST", body: data, credentials: "same-origin"})
      .then(function (answer) { return answer.text(); })
      .then(function (html) {
        if (mine !== asked) { return; }  // a later keystroke's answer is coming
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("preview");
        var shown = document.getElementById("preview");
        if (fresh && shown) { shown.replaceWith(fresh); }
      })
      .catch(function () { /* the Preview button still works */ });
  }
  editor.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(preview, 400);
  });
}());
