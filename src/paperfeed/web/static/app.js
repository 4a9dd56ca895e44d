// paperfeed: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // Upvote without a page reload; the plain form POST remains the fallback.
  document.querySelectorAll("form.upvote-form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.fetch) return;
      event.preventDefault();
      var button = form.querySelector("button");
      button.disabled = true;
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { "Accept": "application/json" },
        credentials: "same-origin"
      }).then(function (r) { return r.json().then(function (data) { return { ok: r.ok, data: data }; }); })
        .then(function (res) {
          if (!res.ok) { button.disabled = false; return; }
          var count = form.querySelector(".upvote-count");
          if (count) count.textContent = String(res.data.upvotes);
          var label = form.querySelector(".upvote-label");
          if (label) label.textContent = "Upvoted";
          button.setAttribute("aria-pressed", "true");
        })
        .catch(function () { button.disabled = false; form.submit(); });
    });
  });

  // Copy buttons (hidden without JS).
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy"));
      if (!source) return;
      var text = source.value || source.textContent;
      var done = function () { button.textContent = "Copied"; };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(done, function () { source.select(); document.execCommand("copy"); done(); });
      } else { source.select(); document.execCommand("copy"); done(); }
    });
  });

  // A new subscriber's time zone: the browser's, when the server only has its default (UTC) and knows
  // the zone. Without this script the form keeps the server's value; nothing is saved until Save.
  var zone = document.querySelector("input[data-browser-zone]");
  if (zone && window.Intl && Intl.DateTimeFormat) {
    var tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var known = tz && Array.prototype.some.call(
      document.querySelectorAll("#timezones option"), function (o) { return o.value === tz; });
    if (known && tz !== zone.value) {
      zone.value = tz;
      var note = document.getElementById("timezone-note");
      if (note) note.hidden = false;
    }
  }

  // Jump to a date as soon as one is picked.
  var jump = document.getElementById("jump-date");
  if (jump) jump.addEventListener("change", function () { if (jump.value) jump.form.submit(); });

  // Search-as-you-type: title suggestions into the <datalist>.
  var list = document.getElementById("site-q-suggestions");
  var timer = null;
  document.querySelectorAll("input[list=site-q-suggestions]").forEach(function (input) {
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 3 || !window.fetch) return;
      timer = setTimeout(function () {
        fetch("/api/v1/suggest?q=" + encodeURIComponent(q), { headers: { "Accept": "application/json" } })
          .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
          .then(function (data) {
            while (list.firstChild) list.removeChild(list.firstChild);
            (data.suggestions || []).forEach(function (s) {
              var option = document.createElement("option");
              option.value = s;
              list.appendChild(option);
            });
          }).catch(function () {});
      }, 200);
    });
  });
})();
