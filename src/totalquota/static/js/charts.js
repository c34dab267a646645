// ECharts on the workbench, the dashboards and the ledger overview. The data comes from <script type="application/json">
// blocks the server writes (json_script); nothing here is inline, so the Content-Security-Policy
// needs no 'unsafe-inline'. ECharts styles its own elements through CSSOM (element.style), which
// style-src does not govern.
(function () {
  "use strict";

  function readJson(id) {
    var el = document.getElementById(id);
    if (!el) return null;
    return JSON.parse(el.textContent);
  }

  function draw(el, option) {
    // Tooltips drawn on the canvas: ECharts' HTML tooltips are markup with style attributes, which
    // the policy's style-src (no 'unsafe-inline') refuses.
    if (option.tooltip) option.tooltip = Object.assign({}, option.tooltip, {renderMode: "richText"});
    var chart = echarts.init(el);
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  }

  // Workbench and dashboards: one chart per [data-chart] element, each option prepared by the server.
  var home = readJson("home-charts-data") || readJson("dashboard-charts-data");
  if (home) {
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      draw(el, home[Number(el.dataset.chart)].option);
    });
  }

  // Ledger overview: balance (and available quantity) per zone of one pollutant; the series names
  // come translated from the element's data-label-* attributes.
  var balance = document.getElementById("balance-chart");
  var data = readJson("chart-data");
  if (balance && data) {
    var series = [{name: balance.dataset.labelPosted, type: "bar", data: data.posted}];
    if (data.available[0] !== null) {
      series.push({name: balance.dataset.labelAvailable, type: "bar", data: data.available});
    }
    draw(balance, {
      animation: false,
      title: {text: data.title + " (" + data.unit + ")", textStyle: {fontSize: 13}},
      tooltip: {trigger: "axis"}, legend: {top: 0, right: 0},
      xAxis: {type: "category", data: data.zones, axisLabel: {interval: 0, width: 96, overflow: "breakAll"}},
      yAxis: {type: "value"}, series: series, grid: {bottom: 56}
    });
  }
})();
