/* Runs inside the form page (same origin as the server). Progressive enhancement only: the form works without it.
   Tells the embedding page our height, moves focus to the error summary or the thank-you, and asks the parent
   to navigate for a thank-you redirect. */
(function () {
  "use strict";
  var slug = (location.pathname.match(/\/embed\/([^/]+)\//) || [])[1] || "";
  function post(message) {
    if (window.parent !== window) { message.slug = slug; window.parent.postMessage(message, "*"); }
  }
  function height() { post({ type: "ejn-form:height", height: Math.ceil(document.body.getBoundingClientRect().height) }); }
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary && !summary.classList.contains("hidden")) { summary.focus(); }
    var thanks = document.querySelector("[data-thanks]");
    if (thanks) {
      thanks.setAttribute("tabindex", "-1"); thanks.focus();
      post({ type: "ejn-form:submitted" });
      var redirect = document.querySelector("[data-redirect]");
      if (redirect) { post({ type: "ejn-form:redirect", url: redirect.getAttribute("data-redirect") }); }
    }
    var form = document.querySelector("form");
    if (form) {
      form.addEventListener("submit", function () {
        var button = form.querySelector("button[type=submit]");
        // The token makes a second click harmless; this only avoids a confusing double request.
        if (button) { setTimeout(function () { button.disabled = true; }, 0); }
      });
    }
    height();
    if (window.ResizeObserver) { new ResizeObserver(height).observe(document.body); }
    window.addEventListener("load", height);
  });
})();
