// The ARS coverage map: Leaflet (served by the application), communes coloured by status
// at the page's date; a click shows the commune's panel (htmx). No tiles: no network needed.
(function () {
  "use strict";
  var COLOURS = { served: "#1a9850", derogation: "#fdae61", convention: "#d73027", no_had: "#7f7f7f" };
  function start() {
    var el = document.getElementById("map");
    if (!el || typeof L === "undefined") { return; }
    var day = el.getAttribute("data-date");
    var map = L.map(el, { preferCanvas: true, zoomSnap: 0.25 });
    window.hadpMap = map;
    Promise.all([
      fetch("/ars/communes.geojson", { credentials: "same-origin" }).then(function (r) { return r.json(); }),
      fetch("/ars/statuts.json?date=" + encodeURIComponent(day), { credentials: "same-origin" }).then(function (r) { return r.json(); })
    ]).then(function (res) {
      var shapes = res[0], status = res[1];
      var selected = null;
      var layer = L.geoJSON(shapes, {
        style: function (f) {
          return { color: "#555", weight: 0.3, fillOpacity: 0.75, fillColor: COLOURS[status[f.properties.i]] || "#fff" };
        },
        onEachFeature: function (f, l) {
          l.bindTooltip(f.properties.n + " (" + f.properties.i + ")", { sticky: true });
          l.on("click", function () {
            if (selected) { layer.resetStyle(selected); }
            selected = l;
            l.setStyle({ weight: 2.5, color: "#000" });
            htmx.ajax("GET", "/ars/commune/" + encodeURIComponent(f.properties.i) + "?date=" + encodeURIComponent(day),
                      { target: "#commune-panel", swap: "innerHTML" });
          });
        }
      }).addTo(map);
      window.hadpLayer = layer;
      map.fitBounds(layer.getBounds());
      el.setAttribute("data-ready", String(Object.keys(status).length));
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
