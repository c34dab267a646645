// The chart of a bulletin's page: the same figures as the issued PDF's chart, from the
// <script type="application/json" id="bulletin-chart-data"> block the server writes.
(function () {
  "use strict";
  var el = document.getElementById("bulletin-chart");
  var source = document.getElementById("bulletin-chart-data");
  if (!el || !source || typeof echarts === "undefined") return;
  var data = JSON.parse(source.textContent);
  if (!data.categories.length) return;
  var chart = echarts.init(el);
  chart.setOption({
    animation: false,
    title: {text: data.title, textStyle: {fontSize: 13}},
    tooltip: {trigger: "axis", renderMode: "richText"},
    legend: {top: 0, right: 0},
    grid: {bottom: 70},
    xAxis: {type: "category", data: data.categories, axisLabel: {interval: 0, rotate: 30}},
    yAxis: {type: "value"},
    series: data.series.map(function (s) {
      return {name: s.name, type: "bar", data: s.values.map(Number)};
    })
  });
  el.dataset.drawn = "1";
  window.addEventListener("resize", function () { chart.resize(); });
})();
