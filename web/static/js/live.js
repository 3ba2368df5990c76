/* Live occupancy on the console dashboard: polls the JSON the page names in data-live-url and writes
   the numbers into the elements marked data-lot / data-zone + data-field. No reload, no dependencies. */
(function () {
  "use strict";
  var status = document.getElementById("live-status");
  if (!status) { return; }
  var url = status.getAttribute("data-live-url");
  var every = parseInt(status.getAttribute("data-poll-ms"), 10) || 2000;

  function put(scope, field, value) {
    var node = scope.querySelector('[data-field="' + field + '"]');
    if (node && node.textContent !== String(value)) { node.textContent = String(value); }
  }

  function apply(doc) {
    doc.lots.forEach(function (lot) {
      var card = document.querySelector('[data-lot="' + lot.id + '"]');
      if (!card) { return; }
      var totals = card.querySelector(".totals");
      ["free", "present", "capacity"].forEach(function (f) { put(totals, f, lot[f]); });
      lot.zones.forEach(function (zone) {
        var row = card.querySelector('[data-zone="' + zone.id + '"]');
        if (!row) { return; }
        ["free", "present", "capacity"].forEach(function (f) { put(row, f, zone[f]); });
        var bar = row.querySelector('[data-field="bar"]');
        if (bar) { bar.max = zone.capacity || 1; bar.value = zone.present; }
        (zone.pools || []).forEach(function (pool) {
          var counts = row.querySelector('[data-pool="' + pool.kind + '"]');
          if (!counts) { return; }
          put(counts, "pool-free", pool.free === null ? "\u2014" : pool.free);
          put(counts, "pool-capacity", pool.capacity);
        });
      });
    });
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (response.redirected || response.status === 401) { window.location.reload(); return null; }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (doc) {
        if (!doc) { return; }
        apply(doc);
        status.textContent = status.getAttribute("data-text-ok");
        status.classList.remove("stale");
      })
      .catch(function () {
        status.textContent = status.getAttribute("data-text-stale");
        status.classList.add("stale");
      })
      .then(function () { window.setTimeout(poll, every); });
  }

  window.setTimeout(poll, every);
}());
