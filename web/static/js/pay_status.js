// The order result page: sends the payer to the platform's page once (when the order was just placed),
// then asks the status endpoint each second until the order is paid or closed, and shows what it says.
(function () {
  "use strict";
  var box = document.getElementById("order");
  if (!box) { return; }
  var words = document.getElementById("order-words");
  var pay = document.getElementById("order-pay");
  var receipt = document.getElementById("order-receipt");
  var payUrl = box.getAttribute("data-pay-url");
  if (payUrl) {
    // Back from the platform's page lands on this page without the forward, so it polls instead.
    history.replaceState(null, "", box.getAttribute("data-here"));
    window.location.assign(payUrl);
    return;
  }
  function show(status) {
    box.setAttribute("data-state", status.state);
    words.textContent = status.message;
    words.className = "pay-message state-" + status.state;
    if (status.final && pay) { pay.hidden = true; }
    if (status.receipt && receipt) {
      receipt.querySelector("a").setAttribute("href", status.receipt);
      receipt.hidden = false;
    }
  }
  function poll() {
    fetch(box.getAttribute("data-status-url"), {headers: {"Accept": "application/json"}, cache: "no-store"})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) {
        if (status) { show(status); }
        if (!status || !status.final) { window.setTimeout(poll, 1000); }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  if (box.getAttribute("data-state") === "pending") { window.setTimeout(poll, 1000); }
}());
