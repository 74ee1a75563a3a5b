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
