// Ops dashboard: keeps the status and last-seen cells of the kiosks on this page current
// and announces each change in the page's aria-live region. Without this script the page
// works the same; the "Reload" link brings it up to date.
(function () {
  "use strict";
  var live = document.getElementById("fleet-live");
  var cells = document.querySelectorAll("[data-status-for]");
  if (!live || !cells.length || !window.fetch) { return; }
  var ids = [];
  cells.forEach(function (cell) { ids.push(cell.getAttribute("data-status-for")); });
  var delay = parseInt(live.getAttribute("data-poll-ms"), 10) || 5000;
  var url = live.getAttribute("data-url") + "?ids=" + encodeURIComponent(ids.join(","));
  var failures = 0;

  function find(attr, id) {
    return document.querySelector("[" + attr + '="' + CSS.escape(id) + '"]');
  }

  function apply(data) {
    var changes = [];
    Object.keys(data.kiosks).forEach(function (id) {
      var kiosk = data.kiosks[id];
      var cell = find("data-status-for", id);
      var seen = find("data-seen-for", id);
      if (cell && cell.getAttribute("data-status") !== kiosk.status) {
        cell.setAttribute("data-status", kiosk.status);
        cell.innerHTML = kiosk.html;
        changes.push(kiosk.text);
      }
      if (seen) { seen.textContent = kiosk.seen; }
    });
    if (changes.length) { live.textContent = changes.join(". "); }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        apply(data);
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        failures += 1;
        if (failures === 3) { live.textContent = live.getAttribute("data-failed"); }
        window.setTimeout(poll, delay * Math.min(failures + 1, 6));
      });
  }

  window.setTimeout(poll, delay);
}());
