// The provenance picture: a Sankey from the sources (reduction projects by type, recovery,
// upper-level grants, the opening reserve) through the zones' reserves to the uses. The data comes
// from the page's json_script block; clicking a band opens the page of the records and ledger
// transfers behind it. Nothing inline: the Content-Security-Policy needs no 'unsafe-inline'
// (ECharts sets element styles through CSSOM, which style-src does not govern).
(function () {
  "use strict";

  var el = document.getElementById("provenance-chart");
  var source = document.getElementById("provenance-data");
  if (!el || !source || typeof echarts === "undefined") return;
  var data = JSON.parse(source.textContent);
  var labels = {};
  data.nodes.forEach(function (n) { labels[n.name] = n.label; });
  var perColumn = [0, 0, 0];
  data.nodes.forEach(function (n) { perColumn[n.depth] += 1; });
  el.style.height = Math.max(360, 28 * Math.max.apply(null, perColumn) + 80) + "px";

  var chart = echarts.init(el);
  chart.setOption({
    animation: false,
    title: {text: data.title, textStyle: {fontSize: 13}},
    // Tooltips drawn on the canvas: HTML tooltips would carry style attributes the policy refuses.
    tooltip: {
      trigger: "item", renderMode: "richText",
      formatter: function (p) {
        if (p.dataType === "edge") {
          return labels[p.data.source] + " → " + labels[p.data.target] + "：" + p.data.display + " " + data.unit;
        }
        return labels[p.name];
      }
    },
    series: [{
      type: "sankey", top: 36, bottom: 12, left: 8, right: 180,
      nodeAlign: "justify", layoutIterations: 32, draggable: false,
      emphasis: {focus: "adjacency"},
      lineStyle: {color: "gradient", curveness: 0.5, opacity: 0.45},
      label: {formatter: function (p) { return labels[p.name]; }},
      data: data.nodes.map(function (n) { return {name: n.name, depth: n.depth}; }),
      links: data.links.map(function (l) {
        return {source: l.source, target: l.target, value: Number(l.value), display: l.value, url: l.url};
      })
    }]
  });
  chart.on("click", function (p) {
    if (p.dataType === "edge" && p.data && p.data.url) window.location.href = p.data.url;
  });
  el.dataset.drawn = "1";
  window.addEventListener("resize", function () { chart.resize(); });
})();
