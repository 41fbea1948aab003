// Carbon footprint by scope per enterprise and year (framework 1.3.3), drawn with the Plotly.js of the
// plotly wheel from the page's JSON element (sustainability records: activities x emission factors).
(function () {
  "use strict";
  var el = document.getElementById("carbon-data");
  var node = document.getElementById("carbon-chart");
  if (!el || !node || !window.Plotly) { return; }
  var rows = JSON.parse(el.textContent);
  if (!rows.length) { node.remove(); return; }
  var traces = ["1", "2", "3"].map(function (s) {
    return { type: "bar", name: "scope " + s, x: rows.map(function (r) { return r.label; }),
             y: rows.map(function (r) { return r.by_scope[s] || 0; }) };
  });
  Plotly.newPlot(node, traces, { barmode: "stack", margin: { l: 50, r: 20, t: 20, b: 60 },
                                 yaxis: { title: "t CO2e" } }, { displayModeBar: false, responsive: true });
})();
