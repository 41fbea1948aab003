/* SLA attainment of one contract (pss): availability, resolution and response attainment per
   month, with the availability target, from the JSON in #sla-data, drawn with the Plotly.js served
   from /static/plotly (offline). A month without a measure has a gap, not a 0. */
(function () {
  "use strict";
  var el = document.getElementById("sla-data");
  if (!el || !window.Plotly) { return; }
  var d = JSON.parse(el.textContent);
  var colors = ["#1d5fa8", "#2f9e74", "#d08a1f"];
  var traces = d.series.map(function (s, i) {
    return { type: "scatter", mode: "lines+markers", name: s.name, x: d.months, y: s.values,
             connectgaps: false, line: { color: colors[i % colors.length], width: 2 } };
  });
  if (d.target.values.some(function (v) { return v !== null; })) {
    traces.push({ type: "scatter", mode: "lines", name: d.target.name, x: d.months, y: d.target.values,
                  line: { color: "#b3261e", dash: "dash", width: 1.5 } });
  }
  Plotly.newPlot("chart-sla", traces, {
    font: { family: 'system-ui, "Noto Sans CJK SC", "Noto Sans SC", sans-serif', size: 13 },
    margin: { l: 64, r: 24, t: 16, b: 56 }, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
    legend: { orientation: "h", y: -0.2 }, hovermode: "x unified",
    xaxis: { title: { text: d.titles.x }, type: "category" },
    yaxis: { title: { text: d.titles.y }, ticksuffix: " %", gridcolor: "#e4e7eb" }
  }, { displaylogo: false, responsive: true });
  document.getElementById("chart-sla").setAttribute("data-drawn", "1");
}());
