/* Remote O&M pages (lifecycle module), drawn with the Plotly.js served from /static/plotly (the
   copy inside the plotly wheel, so nothing is fetched from the network).

   Fleet overview (#fleet-data): the sites on longitude/latitude axes coloured by health (the wheel
   ships no topojson, so there is no base map; latitude is scaled by 1/cos(mean latitude) so
   distances look right), a click opens the asset's page; the health distribution.
   Asset page (#asset-data): health gauge, remaining useful life with its 90% interval, one chart
   per metric (min/max band and average line), refreshed every 30 s from the page's own
   same-origin JSON route (the session cookie authenticates it, like the page): only the buckets
   from the newest one held are fetched and merged, the oldest slide out of the window. */
(function () {
  "use strict";
  if (!window.Plotly) { return; }
  var font = { family: 'system-ui, -apple-system, "Segoe UI", "Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif', size: 13, color: "#1f2933" };
  var config = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"] };
  var BRAND = "#1d5fa8";
  var BAND_COLORS = { good: "#2f9e74", fair: "#d08a1f", poor: "#b42318", none: "#9aa5b1" };
  // the bands of the counts and the histogram: poor < 40 <= fair < 70 <= good
  var HEALTH_SCALE = [[0, "#b42318"], [0.3999, "#b42318"], [0.4, "#d08a1f"], [0.6999, "#d08a1f"], [0.7, "#2f9e74"],
                      [1, "#2f9e74"]];

  function base(extra) {
    return Object.assign({
      font: font, margin: { l: 56, r: 24, t: 12, b: 48 }, paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)", showlegend: false
    }, extra || {});
  }

  function readJson(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  // ------------------------------------------------------------------------------ fleet

  function drawMap(el, m) {
    var scored = m.points.filter(function (p) { return p.health !== null; });
    var unscored = m.points.filter(function (p) { return p.health === null; });
    var traces = [];
    if (unscored.length) {
      traces.push({
        type: "scatter", mode: "markers", name: m.no_score,
        x: unscored.map(function (p) { return p.lon; }), y: unscored.map(function (p) { return p.lat; }),
        text: unscored.map(function (p) { return p.text; }), customdata: unscored.map(function (p) { return p.url; }),
        hovertemplate: "%{text}<extra></extra>",
        marker: { size: 11, color: m.no_score_color, line: { color: "#fff", width: 1 } }
      });
    }
    if (scored.length) {
      traces.push({
        type: "scatter", mode: "markers", name: m.colorbar,
        x: scored.map(function (p) { return p.lon; }), y: scored.map(function (p) { return p.lat; }),
        text: scored.map(function (p) { return p.text; }), customdata: scored.map(function (p) { return p.url; }),
        hovertemplate: "%{text}<extra></extra>",
        marker: {
          size: 12, color: scored.map(function (p) { return p.health; }), cmin: 0, cmax: 100,
          colorscale: HEALTH_SCALE, line: { color: "#fff", width: 1 },
          colorbar: { title: { text: m.colorbar }, thickness: 12, len: 0.8, tickvals: [0, 40, 70, 100] }
        }
      });
    }
    Plotly.newPlot(el, traces, base({
      hovermode: "closest",
      xaxis: { title: { text: m.lon }, gridcolor: "#e4e7eb", zeroline: false, ticksuffix: "°" },
      yaxis: { title: { text: m.lat }, gridcolor: "#e4e7eb", zeroline: false, ticksuffix: "°",
               scaleanchor: "x", scaleratio: m.aspect }
    }), config);
    el.on("plotly_click", function (ev) {
      var p = ev && ev.points && ev.points[0];
      if (p && typeof p.customdata === "string" && p.customdata.charAt(0) === "/") {
        window.location.href = p.customdata;
      }
    });
  }

  function drawHistogram(el, h) {
    var most = Math.max.apply(null, h.counts);
    Plotly.newPlot(el, [{
      type: "bar", x: h.x, y: h.counts, width: h.width * 0.92,
      marker: { color: h.bands.map(function (b) { return BAND_COLORS[b]; }) },
      hovertemplate: "%{x:.0f} ± " + (h.width / 2) + ": %{y}<extra></extra>"
    }], base({
      bargap: 0,
      xaxis: { title: { text: h.x_title }, range: [0, 100], dtick: 10, gridcolor: "#e4e7eb" },
      yaxis: { title: { text: h.y_title }, rangemode: "tozero", gridcolor: "#e4e7eb", tickformat: ",d",
               dtick: most <= 8 ? 1 : null }
    }), config);
  }

  var fleet = readJson("fleet-data");
  if (fleet) {
    var mapEl = document.getElementById("fleet-map");
    if (mapEl && fleet.map.points.length) { drawMap(mapEl, fleet.map); }
    var histEl = document.getElementById("health-hist");
    if (histEl) { drawHistogram(histEl, fleet.hist); }
  }

  // ------------------------------------------------------------------------------ one asset

  var asset = readJson("asset-data");
  if (!asset) { return; }
  var L = asset.labels;

  function drawGauge(el, h) {
    Plotly.newPlot(el, [{
      type: "indicator", mode: "gauge+number", value: h.health,
      number: { valueformat: ".0f" },
      gauge: {
        axis: { range: [0, 100], dtick: 20 },
        bar: { color: BAND_COLORS[h.band], thickness: 0.35 },
        steps: [{ range: [0, 40], color: "#fdecea" }, { range: [40, 70], color: "#fff6e0" },
                { range: [70, 100], color: "#e3f4ec" }]
      }
    }], base({ margin: { l: 24, r: 24, t: 24, b: 8 } }), config);
  }

  function drawRul(el, h) {
    var unit = h.text.unit;
    Plotly.newPlot(el, [{
      type: "scatter", mode: "markers", x: [h.rul], y: [L.rul],
      marker: { size: 16, color: BRAND, symbol: "diamond" },
      error_x: { type: "data", symmetric: false, array: [h.rul_high - h.rul], arrayminus: [h.rul - h.rul_low],
                 thickness: 12, width: 0, color: "rgba(29,95,168,0.35)" },
      hovertemplate: L.rul + " %{x:,.0f} " + unit + "<br>" + L.interval + " " + h.text.low + "–" + h.text.high +
        " " + unit + "<extra></extra>"
    }], base({
      margin: { l: 24, r: 24, t: 8, b: 44 },
      xaxis: { title: { text: L.rul + " (" + unit + ")" }, range: [0, Math.max(h.rul_high * 1.15, 1)],
               gridcolor: "#e4e7eb", zeroline: false, separatethousands: true },
      yaxis: { visible: false }
    }), config);
  }

  function metricTraces(m) {
    return [
      { type: "scatter", mode: "lines", x: m.t, y: m.max, line: { width: 0, color: BRAND }, hoverinfo: "skip",
        connectgaps: false, name: "max" },
      { type: "scatter", mode: "lines", x: m.t, y: m.min, line: { width: 0, color: BRAND }, fill: "tonexty",
        fillcolor: "rgba(29,95,168,0.18)", connectgaps: false, name: L.band,
        customdata: m.max, hovertemplate: L.band + " %{y:.4g} – %{customdata:.4g}<extra></extra>" },
      { type: "scatter", mode: "lines", x: m.t, y: m.avg, line: { width: 2, color: BRAND }, connectgaps: false,
        name: L.avg, hovertemplate: L.avg + " %{y:.4g} " + (m.unit || "") + "<extra></extra>" }
    ];
  }

  function metricLayout(m, s) {
    var layout = base({
      margin: { l: 56, r: 16, t: 8, b: 40 }, hovermode: "x unified",
      xaxis: { type: "date", range: [s.start, s.end], title: { text: L.time }, gridcolor: "#e4e7eb" },
      yaxis: { title: { text: m.unit || "" }, gridcolor: "#e4e7eb", zeroline: false },
      annotations: []
    });
    if (!m.t.length) {
      layout.annotations.push({ text: L.no_data, xref: "paper", yref: "paper", x: 0.5, y: 0.5, showarrow: false,
                                font: { color: "#616e7c" } });
    }
    return layout;
  }

  // the buckets the charts show, per metric key; a refresh brings only the newest ones
  var held = {};
  var windowStart = null;
  var windowEnd = null;

  function hold(s) {
    windowStart = s.start;
    windowEnd = s.end;
    s.metrics.forEach(function (m) {
      var old = held[m.key];
      if (!s.partial || !old) { held[m.key] = m; return; }
      var t = [], lo = [], hi = [], avg = [];
      for (var i = 0; i < old.t.length; i++) {
        if (old.t[i] >= s.start && old.t[i] < s.from) {  // fixed-width UTC times compare as text
          t.push(old.t[i]); lo.push(old.min[i]); hi.push(old.max[i]); avg.push(old.avg[i]);
        }
      }
      held[m.key] = Object.assign({}, m, {
        t: t.concat(m.t), min: lo.concat(m.min), max: hi.concat(m.max), avg: avg.concat(m.avg)
      });
    });
  }

  function since() {
    // the newest bucket every chart already has: refresh from there
    var oldest = null;
    var keys = Object.keys(held);
    for (var i = 0; i < keys.length; i++) {
      var t = held[keys[i]].t;
      if (!t.length) { return null; }
      var last = t[t.length - 1];
      if (oldest === null || last < oldest) { oldest = last; }
    }
    return oldest;
  }

  function drawSeries() {
    var charts = document.querySelectorAll(".metric-chart");
    var s = { start: windowStart, end: windowEnd };
    for (var i = 0; i < charts.length; i++) {
      var m = held[charts[i].getAttribute("data-metric")];
      if (m) { Plotly.react(charts[i], metricTraces(m), metricLayout(m, s), config); }
    }
  }

  function updateLatest(s) {
    var rows = document.querySelectorAll("#latest-values tr[data-metric]");
    for (var i = 0; i < rows.length; i++) {
      var key = rows[i].getAttribute("data-metric");
      for (var j = 0; j < s.metrics.length; j++) {
        if (s.metrics[j].key === key) {
          rows[i].querySelector(".latest-value").textContent = s.metrics[j].latest.text;
          rows[i].querySelector(".latest-at").textContent = s.metrics[j].latest.at;
        }
      }
    }
    var stamp = document.getElementById("series-updated");
    if (stamp) { stamp.setAttribute("data-updated", s.updated); stamp.textContent = stamp.textContent.replace(/\d{4}-\d\d-\d\d \d\d:\d\d UTC/, s.updated); }
  }

  var busy = false;
  function refresh() {
    if (busy) { return Promise.resolve(null); }
    busy = true;
    var from = since();
    var url = asset.series_url + "?range=" + encodeURIComponent(asset.range) +
      (from ? "&since=" + encodeURIComponent(from) : "");
    return fetch(url, {
      credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" }
    }).then(function (r) {
      var type = r.headers.get("content-type") || "";
      if (!r.ok || type.indexOf("application/json") !== 0) { throw new Error("series " + r.status); }
      return r.json();
    }).then(function (s) {
      hold(s);
      drawSeries();
      updateLatest(s);
      return s;
    }).catch(function () { return null; }).then(function (s) { busy = false; return s; });
  }

  if (asset.health) {
    var g = document.getElementById("health-gauge");
    if (g) { drawGauge(g, asset.health); }
    var r = document.getElementById("rul-chart");
    if (r) { drawRul(r, asset.health); }
  }
  if (asset.series && asset.series.metrics.length) {
    hold(asset.series);
    drawSeries();
    window.setInterval(function () { if (!document.hidden) { refresh(); } }, asset.refresh_seconds * 1000);
  }
  window.sompMonitoring = { refresh: refresh };
})();
