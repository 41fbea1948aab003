// Charts of the evaluation and region reports (framework 1.3.1-1.3.4), drawn with the Plotly.js of the plotly
// wheel. The chart specs come from the page's JSON element; each figure's caption names its source.
// window.__reportReady turns true once every chart is drawn (the PDF printer waits for it).
(function () {
  "use strict";
  var el = document.getElementById("report-charts");
  var specs = el ? JSON.parse(el.textContent) : [];
  var colours = { computed: "#1e6fd9", questionnaire: "#27ae60", uploaded: "#e67e22", missing: "#9e9e9e" };
  var layout = { margin: { l: 40, r: 20, t: 20, b: 60 }, font: { family: "Noto Sans CJK SC, sans-serif", size: 11 },
                 showlegend: false };
  var config = { staticPlot: true, displayModeBar: false };
  var jobs = [];
  if (window.Plotly) {
    specs.forEach(function (c) {
      var node = document.getElementById("chart-" + c.id);
      if (!node) { return; }
      var trace;
      if (c.kind === "radar") {
        trace = { type: "scatterpolar", r: c.values.concat([c.values[0]]), theta: c.labels.concat([c.labels[0]]),
                  fill: "toself", line: { color: "#1e6fd9" } };
        jobs.push(Plotly.newPlot(node, [trace], Object.assign({}, layout,
          { polar: { radialaxis: { range: [0, 100] } } }), config));
      } else if (c.kind === "stacked" || c.kind === "grouped") {
        // several series over the same labels; "stacked" may carry markers (e.g. the regional index)
        var palette = ["#1e6fd9", "#27ae60", "#e67e22", "#8e44ad"];
        var traces = c.series.map(function (s, k) {
          return { type: "bar", name: s.name, x: c.labels, y: s.values, marker: { color: palette[k % palette.length] } };
        });
        if (c.markers) {
          traces.push({ type: "scatter", mode: "markers", name: c.markers.name, x: c.labels, y: c.markers.values,
                        marker: { color: "#222", size: 8 } });
        }
        jobs.push(Plotly.newPlot(node, traces, Object.assign({}, layout,
          { barmode: c.kind === "stacked" ? "stack" : "group", showlegend: true,
            legend: { orientation: "h", y: 1.12 } }), config));
      } else {
        trace = { type: "bar", x: c.labels, y: c.values,
                  marker: { color: c.groups ? c.groups.map(function (g) { return colours[g] || "#1e6fd9"; }) : "#1e6fd9" } };
        jobs.push(Plotly.newPlot(node, [trace], layout, config));
      }
    });
  }
  Promise.all(jobs).then(function () { window.__reportReady = true; },
                         function () { window.__reportReady = true; });
})();
