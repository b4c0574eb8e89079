// Draw every plotly figure embedded with json_script: <div class="chart" data-chart="id">.
(function () {
  if (!window.Plotly) return;
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var source = document.getElementById(element.dataset.chart);
    if (!source) return;
    var figure = JSON.parse(source.textContent);
    window.Plotly.newPlot(element, figure.data, figure.layout, {
      responsive: true,
      displaylogo: false,
    });
  });
})();
