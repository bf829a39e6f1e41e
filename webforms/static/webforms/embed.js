/* Education Justice Now embedded forms.
   <script src="https://SERVER/embed.js" data-form="SLUG" async></script>
   Optional: data-lang="es", data-ref="CODE" (else ?ref= and utm_* are taken from this page's address). */
(function () {
  "use strict";
  var PARAMS = ["ref", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];
  function mount(script) {
    if (script.getAttribute("data-ejn-mounted")) { return; }
    script.setAttribute("data-ejn-mounted", "1");
    var slug = script.getAttribute("data-form");
    if (!slug || !/^[-a-zA-Z0-9_]+$/.test(slug)) { return; }
    var base = new URL(script.src, location.href).origin;
    var here = new URLSearchParams(location.search);
    var query = new URLSearchParams({ embed: "1" });
    PARAMS.forEach(function (name) {
      var value = script.getAttribute("data-" + name.replace("_", "-")) || here.get(name);
      if (value) { query.set(name, value.slice(0, 200)); }
    });
    if (script.getAttribute("data-lang")) { query.set("lang", script.getAttribute("data-lang")); }
    query.set("referrer", (location.origin + location.pathname).slice(0, 1000));
    var frame = document.createElement("iframe");
    frame.src = base + "/embed/" + encodeURIComponent(slug) + "/?" + query.toString();
    frame.title = script.getAttribute("data-title") || "Sign-up form";
    frame.setAttribute("data-ejn-form", slug);
    frame.style.cssText = "width:100%;max-width:100%;border:0;min-height:480px;display:block;";
    frame.setAttribute("scrolling", "no");
    script.parentNode.insertBefore(frame, script.nextSibling);
    window.addEventListener("message", function (event) {
      if (event.origin !== base || event.source !== frame.contentWindow) { return; }
      var data = event.data || {};
      if (data.slug !== slug) { return; }
      if (data.type === "ejn-form:height" && data.height > 0) {
        frame.style.height = data.height + "px"; frame.style.minHeight = "0";
      } else if (data.type === "ejn-form:redirect" && /^https?:\/\//.test(data.url || "")) {
        window.location.href = data.url;
      } else if (data.type === "ejn-form:submitted") {
        frame.scrollIntoView({ block: "start" });
      }
    });
  }
  if (document.currentScript) { mount(document.currentScript); }
  var scripts = document.querySelectorAll("script[data-form]");
  for (var i = 0; i < scripts.length; i++) {
    if (/\/embed\.js(\?|$)/.test(scripts[i].src)) { mount(scripts[i]); }
  }
})();
