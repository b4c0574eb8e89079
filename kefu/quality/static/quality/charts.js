// Draw every plotly figure embedded as JSON by the {% quality_chart %} tag.
document.addEventListener("DOMContentLoaded", function () {
  if (!window.Plotly) return;
  document.querySelectorAll("script[data-plotly-for]").forEach(function (node) {
    var target = document.getElementById(node.getAttribute("data-plotly-for"));
    if (!target) return;
    var figure = JSON.parse(node.textContent);
    window.Plotly.newPlot(target, figure.data, figure.layout, {responsive: true, displaylogo: false});
  });
});
