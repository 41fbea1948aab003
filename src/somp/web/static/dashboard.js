/* Home dashboard charts: reads the JSON embedded in #kpi-data and draws them with the Plotly.js
   served from /static/plotly (the copy inside the plotly wheel, so it works offline). */
(function () {
  "use strict";
  var el = document.getElementById("kpi-data");
  if (!el || !window.Plotly) { return; }
  var d = JSON.parse(el.textContent);
  var font = { family: 'system-ui, -apple-system, "Segoe UI", "Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif', size: 13, color: "#1f2933" };
  var colors = ["#1d5fa8", "#2f9e74", "#d08a1f"];
  var config = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"] };
  var base = {
    font: font, margin: { l: 60, r: 36, t: 16, b: 56 }, paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)", legend: { orientation: "h", y: -0.2 }, hovermode: "x unified"
  };
  var kpiTraces = d.kpis.map(function (k, i) {
    return { type: "scatter", mode: "lines+markers", name: k.name, x: d.periods, y: k.values,
             connectgaps: false, line: { color: colors[i % colors.length], width: 2 },
             hovertemplate: "%{y:.1f}%<extra>" + k.name + "</extra>" };
  });
  Plotly.newPlot("chart-kpis", kpiTraces, Object.assign({}, base, {
    yaxis: { title: { text: d.titles.percent }, ticksuffix: "%", rangemode: "tozero", gridcolor: "#e4e7eb" },
    xaxis: { type: "category" }
  }), config);
  var rev = d.revenue;
  Plotly.newPlot("chart-revenue", [
    { type: "bar", name: rev.product_name, x: d.periods, y: rev.product, marker: { color: "#9fb3c8" } },
    { type: "bar", name: rev.service_name, x: d.periods, y: rev.service, marker: { color: "#1d5fa8" } }
  ], Object.assign({}, base, {
    barmode: "stack",
    yaxis: { title: { text: d.titles.amount }, separatethousands: true, rangemode: "tozero", gridcolor: "#e4e7eb" },
    xaxis: { type: "category" }
  }), config);
})();
