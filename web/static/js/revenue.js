// The revenue page's charts (Chart.js, vendored): received per day by payment method, stacked, with the
// receivable and the net as lines; and the period's received by method. The figures come from the page
// itself (<script type="application/json" id="revenue-data">), the same ones its tables show.
(function () {
  "use strict";
  var source = document.getElementById("revenue-data");
  if (!source || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var colours = { wechat: "#2aae67", alipay: "#1677ff", cash: "#d48806", other: "#8c8c8c" };
  var palette = ["#2aae67", "#1677ff", "#d48806", "#8c8c8c", "#722ed1", "#eb2f96", "#13c2c2"];
  var yuan = function (value) {
    return value.toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 }) + " " + data.unit;
  };
  var tooltip = { callbacks: { label: function (item) { return item.dataset.label + ": " + yuan(item.parsed.y !== undefined ? item.parsed.y : item.parsed); } } };

  var days = document.getElementById("revenue-days");
  if (days) {
    var datasets = data.received.map(function (series) {
      return { type: "bar", label: series.label, data: series.values, backgroundColor: colours[series.key], stack: "received", order: 2 };
    });
    datasets.push({ type: "line", label: data.receivable.label, data: data.receivable.values, borderColor: "#262626",
                    backgroundColor: "#262626", pointRadius: 0, borderWidth: 1.5, order: 1 });
    datasets.push({ type: "line", label: data.net.label, data: data.net.values, borderColor: "#cf1322", backgroundColor: "#cf1322",
                    pointRadius: 0, borderWidth: 1.5, borderDash: [4, 3], order: 0 });
    new Chart(days, {
      type: "bar",
      data: { labels: data.labels, datasets: datasets },
      options: {
        animation: false, responsive: true, interaction: { mode: "index", intersect: false },
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } },
        plugins: { tooltip: tooltip },
      },
    });
  }

  var methods = document.getElementById("revenue-methods");
  if (methods && data.methods.length) {
    new Chart(methods, {
      type: "doughnut",
      data: {
        labels: data.methods.map(function (m) { return m.label; }),
        datasets: [{ data: data.methods.map(function (m) { return m.value; }), backgroundColor: palette }],
      },
      options: { animation: false, responsive: true, plugins: { tooltip: { callbacks: {
        label: function (item) { return item.label + ": " + yuan(item.parsed); } } } } },
    });
  }
})();
