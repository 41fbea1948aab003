/* Evaluation pages (issue 4), drawn with the Plotly.js served from /static/plotly (the copy inside
   the plotly wheel: nothing is fetched from the network).

   #targets-data: progress toward the plan's 2028 targets (20 standards, 50 leading brands,
   100 innovation highlands): done vs target, grouped bars.
   #regions-data: the regional development index of the ranked regions, as stacked bars of its three
   dimensions (each weighted one third) with the index as markers. */
(function () {
  "use strict";
  if (!window.Plotly) { return; }
  var font = { family: 'system-ui, -apple-system, "Segoe UI", "Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif', size: 13, color: "#1f2933" };
  var config = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"] };
  var COLORS = ["#1d5fa8", "#2f9e74", "#d08a1f"];

  function readJson(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function layout(extra) {
    return Object.assign({
      font: font, margin: { l: 56, r: 24, t: 48, b: 48 }, paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)", legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" }
    }, extra || {});
  }

  var targets = readJson("targets-data");
  var tEl = document.getElementById("targets-chart");
  if (targets && tEl) {
    Plotly.newPlot(tEl, [
      { type: "bar", name: targets.names.done, x: targets.labels, y: targets.done, marker: { color: COLORS[0] },
        text: targets.done, textposition: "outside" },
      { type: "bar", name: targets.names.target, x: targets.labels, y: targets.target,
        marker: { color: "#c7d2de" }, text: targets.target, textposition: "outside" }
    ], layout({ barmode: "group" }), config);
  }

  var regions = readJson("regions-data");
  var rEl = document.getElementById("regions-chart");
  if (regions && rEl && regions.regions.length) {
    var n = regions.dimensions.length || 1;
    var traces = regions.dimensions.map(function (d, k) {
      return { type: "bar", name: d.name, x: regions.regions,
               y: d.values.map(function (v) { return v === null ? 0 : v / n; }),
               marker: { color: COLORS[k % COLORS.length] },
               hovertemplate: d.name + ": %{customdata:.1f}<extra></extra>", customdata: d.values };
    });
    traces.push({ type: "scatter", mode: "markers+text", name: regions.index_name, x: regions.regions,
                  y: regions.index, text: regions.index.map(function (v) { return v === null ? "" : v.toFixed(1); }),
                  textposition: "top center", marker: { color: "#1f2933", size: 9 } });
    Plotly.newPlot(rEl, traces, layout({ barmode: "stack", yaxis: { range: [0, 110] } }), config);
  }
})();
