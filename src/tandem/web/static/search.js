// The top bar's search box: suggestions from /api/v1/search as the user types, chosen with
// the arrow keys and Enter (the WAI-ARIA combobox pattern); Enter with none chosen, or no
// script at all, submits the form to the /search page.
(function () {
  "use strict";
  function init() {
    var form = document.querySelector("form.search-box");
    if (!form) return;
    var input = form.querySelector("input[name=q]");
    var list = form.querySelector("[role=listbox]");
    var options = [], active = -1, timer = null, asked = "";

    function close() {
      list.hidden = true; list.textContent = ""; options = []; active = -1;
      input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant");
    }
    function choose(index) {
      options.forEach(function (o, i) { o.setAttribute("aria-selected", i === index ? "true" : "false"); });
      active = index;
      if (index >= 0) input.setAttribute("aria-activedescendant", options[index].id);
      else input.removeAttribute("aria-activedescendant");
    }
    function show(results) {
      close();
      results.groups.forEach(function (group) {
        var heading = document.createElement("li");
        heading.className = "kind"; heading.setAttribute("role", "presentation");
        heading.textContent = group.title;
        list.appendChild(heading);
        group.hits.forEach(function (hit) {
          var li = document.createElement("li");
          li.setAttribute("role", "option"); li.id = "search-option-" + options.length;
          li.dataset.url = hit.url; li.textContent = hit.label;
          if (hit.detail) { var small = document.createElement("small"); small.textContent = hit.detail; li.appendChild(small); }
          li.addEventListener("mousedown", function (e) { e.preventDefault(); window.location.href = hit.url; });
          list.appendChild(li); options.push(li);
        });
      });
      if (!options.length) return;
      list.hidden = false; input.setAttribute("aria-expanded", "true");
    }
    function ask() {
      var q = input.value.trim();
      if (q === asked) return;
      asked = q;
      if (!q) { close(); return; }
      fetch("/api/v1/search?limit=5&q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (results) { if (results && input.value.trim() === q) show(results); })
        .catch(function () { close(); });
    }
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(ask, 120); });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" && options.length) { e.preventDefault(); choose((active + 1) % options.length); }
      else if (e.key === "ArrowUp" && options.length) { e.preventDefault(); choose(active <= 0 ? options.length - 1 : active - 1); }
      else if (e.key === "Enter" && active >= 0) { e.preventDefault(); window.location.href = options[active].dataset.url; }
      else if (e.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
