// Draws every chart of a reports page from its embedded plotly JSON (no CDN, no inline JS).
(function () {
  if (typeof Plotly === "undefined") return;
  document.querySelectorAll("[data-chart]").forEach(function (box) {
    var source = document.getElementById(box.getAttribute("data-chart"));
    if (!source) return;
    var figure = JSON.parse(source.textContent);
    Plotly.newPlot(box, figure.data, figure.layout, { responsive: true, displaylogo: false });
  });
})();
