/* The booth on the lane console: the change shown while the cash given is typed (read exactly to fen,
   never through a float), and a QR order's state polled each second from the ledger until it is paid
   or can no longer be. Also the print buttons of the receipt and shift report. No dependencies. */
(function () {
  "use strict";
  var YUAN = /^\s*[¥￥]?\s*([0-9]{1,9})(?:\.([0-9]{1,2}))?\s*$/;
  var FINAL = { paid: true, refunded: true, closed: true, failed: true };

  function toFen(text) {
    var match = YUAN.exec(text);
    if (!match) { return null; }
    return parseInt(match[1], 10) * 100 + parseInt(((match[2] || "") + "00").slice(0, 2), 10);
  }

  function yuan(fen) {
    var cents = String(fen % 100);
    return Math.floor(fen / 100) + "." + (cents.length < 2 ? "0" + cents : cents);
  }

  function showChange(form) {
    var input = form.querySelector('input[name="given"]');
    var out = form.querySelector('[data-field="change"]');
    var due = parseInt(form.getAttribute("data-due-fen"), 10);
    if (!input || !out || isNaN(due)) { return; }
    input.addEventListener("input", function () {
      var given = toFen(input.value);
      out.classList.remove("short");
      if (input.value.trim() === "") { out.textContent = ""; return; }
      if (given === null) { out.textContent = out.getAttribute("data-text-bad"); out.classList.add("short"); return; }
      if (given < due) {
        out.textContent = out.getAttribute("data-text-short") + " " + yuan(due - given) + " " + out.getAttribute("data-text-yuan");
        out.classList.add("short");
        return;
      }
      out.textContent = out.getAttribute("data-text-change") + " " + yuan(given - due) + " " + out.getAttribute("data-text-yuan");
    });
  }

  function pollOrder(box) {
    var url = box.getAttribute("data-status-url");
    var state = box.querySelector('[data-field="order-state"]');
    var receipt = box.querySelector('[data-field="order-receipt"]');
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" }, cache: "no-store" })
        .then(function (response) {
          if (response.redirected || response.status === 401) { window.location.reload(); return null; }
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.json();
        })
        .then(function (doc) {
          if (!doc) { return; }
          state.textContent = doc.words;
          box.setAttribute("data-status", doc.status);
          if (doc.receipt_url && receipt) { receipt.href = doc.receipt_url; receipt.hidden = false; }
          if (!FINAL[doc.status]) { window.setTimeout(poll, 1000); }
        })
        .catch(function () {
          state.textContent = box.getAttribute("data-text-stale");
          window.setTimeout(poll, 1000);
        });
    }
    window.setTimeout(poll, 1000);
  }

  Array.prototype.forEach.call(document.querySelectorAll("form.booth-cash"), showChange);
  Array.prototype.forEach.call(document.querySelectorAll('[data-field="order"][data-status-url]'), pollOrder);
  Array.prototype.forEach.call(document.querySelectorAll('[data-action="print"]'), function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
}());
