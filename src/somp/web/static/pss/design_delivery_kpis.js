/* Delivery KPI page (2.1.5): on-time delivery and first-time-right commissioning rates, and the
   lead time (median, p90) per month, from the JSON in #kpi-data, drawn with the Plotly.js served
   from /static/plotly (offline). A month without projects is a gap, not a zero. */
(function () {
  "use strict";
  var el = document.getElementById("kpi-data");
  if (!el || !window.Plotly) { return; }
  var d = JSON.parse(el.textContent);
  var font = { family: 'system-ui, "Noto Sans CJK SC", "Noto Sans SC", sans-serif', size: 13 };
  var base = { font: font, margin: { l: 64, r: 24, t: 16, b: 56 }, paper_bgcolor: "rgba(0,0,0,0)",
               plot_bgcolor: "rgba(0,0,0,0)", legend: { orientation: "h", y: -0.25 }, hovermode: "x unified",
               xaxis: { type: "category" } };
  var cfg = { displaylogo: false, responsive: true };
  Plotly.newPlot("chart-rates", [
    { type: "scatter", mode: "lines+markers", name: d.names.on_time_rate, x: d.periods, y: d.on_time,
      line: { color: "#1d5fa8", width: 2 } },
    { type: "scatter", mode: "lines+markers", name: d.names.first_time_right_rate, x: d.periods, y: d.ftr,
      line: { color: "#2f9e74", width: 2 } }
  ], Object.assign({}, base, { yaxis: { title: { text: d.titles.rate }, tickformat: ".0%", range: [0, 1.05],
                                        gridcolor: "#e4e7eb" } }), cfg);
  Plotly.newPlot("chart-lead", [
    { type: "bar", name: d.names.lead_time_median_days, x: d.periods, y: d.median, marker: { color: "#9fb3c8" } },
    { type: "scatter", mode: "lines+markers", name: d.names.lead_time_p90_days, x: d.periods, y: d.p90,
      line: { color: "#d08a1f", width: 2 } }
  ], Object.assign({}, base, { yaxis: { title: { text: d.titles.days }, rangemode: "tozero", gridcolor: "#e4e7eb" } }),
  cfg);
  document.getElementById("chart-rates").setAttribute("data-drawn", "1");
  document.getElementById("chart-lead").setAttribute("data-drawn", "1");
}());
