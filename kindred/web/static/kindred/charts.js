// Draws Kindred's charts with the vendored Chart.js. Each <canvas data-chart="ID"> has
// its data in <script type="application/json" id="ID"> (Django's json_script), so no
// inline script is needed under the Content-Security-Policy. Every chart also has a data
// table on the page. Series differ by line pattern, point shape and fill pattern as well
// as colour; bands carry their names; nothing depends on seeing colour.
(function () {
  "use strict";

  var INK = "#1d2327";
  var MUTED = "#4f5a61";
  var GRID = "#d3d7d4";
  // Calm, distinguishable colours (all at least 4.5:1 on white).
  var COLOURS = ["#2b5d63", "#7a4d00", "#5b4a8b", "#4f5a61"];
  var DASHES = [[], [8, 4], [2, 3], [10, 3, 2, 3]];
  var SHAPES = ["circle", "triangle", "rect", "rectRot"];
  var BAND_FILLS = ["rgba(43, 93, 99, 0.06)", "rgba(43, 93, 99, 0.14)"];

  function reducedMotion() {
    return window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  }

  // A fill pattern per series (solid, stripes, dots, cross-hatch) for bars.
  function pattern(colour, index) {
    var kind = index % 4;
    if (kind === 0) { return colour; }
    var tile = document.createElement("canvas");
    tile.width = 8;
    tile.height = 8;
    var ctx = tile.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, 8, 8);
    ctx.strokeStyle = colour;
    ctx.fillStyle = colour;
    ctx.lineWidth = 2;
    if (kind === 1) {
      ctx.beginPath();
      ctx.moveTo(0, 8); ctx.lineTo(8, 0);
      ctx.moveTo(-2, 2); ctx.lineTo(2, -2);
      ctx.moveTo(6, 10); ctx.lineTo(10, 6);
      ctx.stroke();
    } else if (kind === 2) {
      ctx.beginPath();
      ctx.arc(4, 4, 2, 0, Math.PI * 2);
      ctx.fill();
    } else {
      ctx.beginPath();
      ctx.moveTo(0, 4); ctx.lineTo(8, 4);
      ctx.moveTo(4, 0); ctx.lineTo(4, 8);
      ctx.stroke();
    }
    return ctx.createPattern(tile, "repeat");
  }

  // Shades the severity bands behind a trajectory and writes each band's name in it.
  var bandPlugin = {
    id: "kindredBands",
    beforeDatasetsDraw: function (chart) {
      var bands = chart.options.plugins.kindredBands && chart.options.plugins.kindredBands.bands;
      if (!bands || !bands.length) { return; }
      var area = chart.chartArea;
      var y = chart.scales.y;
      var ctx = chart.ctx;
      ctx.save();
      bands.forEach(function (band, i) {
        // Bands are whole-number ranges: shade from half a step below to half above.
        var top = y.getPixelForValue(Math.min(band.max + 0.5, y.max));
        var bottom = y.getPixelForValue(Math.max(band.min - 0.5, y.min));
        ctx.fillStyle = BAND_FILLS[i % 2];
        ctx.fillRect(area.left, top, area.right - area.left, bottom - top);
        ctx.strokeStyle = GRID;
        ctx.beginPath();
        ctx.moveTo(area.left, top);
        ctx.lineTo(area.right, top);
        ctx.stroke();
        if (bottom - top >= 12) {
          ctx.fillStyle = MUTED;
          ctx.font = "12px system-ui, sans-serif";
          ctx.textBaseline = "middle";
          ctx.textAlign = "right";
          ctx.fillText(band.label, area.right - 6, (top + bottom) / 2);
        }
      });
      ctx.restore();
    }
  };

  function baseOptions(data) {
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: reducedMotion() ? false : { duration: 300 },
      plugins: {
        legend: { labels: { color: INK, usePointStyle: true } },
        tooltip: { enabled: true }
      },
      scales: {
        x: { ticks: { color: INK }, grid: { color: GRID } },
        y: {
          ticks: { color: INK },
          grid: { color: GRID },
          title: { display: Boolean(data.yTitle), text: data.yTitle || "", color: INK }
        }
      }
    };
  }

  function lineSeries(series, i, extra) {
    var colour = COLOURS[i % COLOURS.length];
    var set = {
      label: series.label,
      data: series.data,
      borderColor: colour,
      backgroundColor: colour,
      borderDash: DASHES[i % DASHES.length],
      borderWidth: 2,
      pointStyle: SHAPES[i % SHAPES.length],
      pointRadius: 5,
      pointHoverRadius: 7,
      spanGaps: true,
      tension: 0
    };
    return Object.assign(set, extra || {});
  }

  function trajectory(data) {
    var options = baseOptions(data);
    options.scales.y.min = data.min;
    options.scales.y.max = data.max;
    options.plugins.legend.display = false;
    options.plugins.kindredBands = { bands: data.bands };
    options.plugins.tooltip.callbacks = {
      afterLabel: function (item) { return data.pointLabels[item.dataIndex] || ""; }
    };
    return {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [lineSeries({ label: data.seriesLabel, data: data.values }, 0)]
      },
      options: options,
      plugins: [bandPlugin]
    };
  }

  function member(data) {
    var options = baseOptions(data);
    options.plugins.legend.display = false;
    options.plugins.tooltip.enabled = false;
    options.scales.y.min = data.min;
    options.scales.y.max = data.max;
    options.scales.y.ticks = {
      color: INK,
      stepSize: data.max - data.min,
      callback: function (value) {
        if (value === data.max) { return data.top; }
        if (value === data.min) { return data.bottom; }
        return "";
      }
    };
    return {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [lineSeries({ label: data.seriesLabel, data: data.values }, 0, {
          fill: "start",
          backgroundColor: "rgba(43, 93, 99, 0.12)",
          pointBackgroundColor: COLOURS[0]
        })]
      },
      options: options
    };
  }

  function lines(data) {
    var options = baseOptions(data);
    options.scales.y.min = data.min;
    options.scales.y.max = data.max;
    return {
      type: "line",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (s, i) { return lineSeries(s, i); })
      },
      options: options
    };
  }

  function bars(data, stacked) {
    var options = baseOptions(data);
    options.scales.y.beginAtZero = true;
    options.scales.y.ticks.precision = 0;
    if (stacked) {
      options.scales.x.stacked = true;
      options.scales.y.stacked = true;
    }
    options.plugins.legend.labels.usePointStyle = false;
    options.plugins.legend.display = data.series.length > 1;
    return {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (s, i) {
          var colour = COLOURS[i % COLOURS.length];
          return {
            label: s.label,
            data: s.data,
            backgroundColor: pattern(colour, i),
            borderColor: colour,
            borderWidth: 1.5
          };
        })
      },
      options: options
    };
  }

  var BUILDERS = {
    trajectory: trajectory,
    member: member,
    lines: lines,
    stacked: function (data) { return bars(data, true); },
    bars: function (data) { return bars(data, false); }
  };

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source) { return; }
    var data = JSON.parse(source.textContent);
    var build = BUILDERS[data.kind];
    if (!build) { return; }
    // eslint-disable-next-line no-new
    new window.Chart(canvas, build(data));
    canvas.setAttribute("data-drawn", "true");
  }

  function drawAll() {
    if (!window.Chart) { return; }
    window.Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
    window.Chart.defaults.color = INK;
    var canvases = document.querySelectorAll("canvas[data-chart]");
    Array.prototype.forEach.call(canvases, draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
