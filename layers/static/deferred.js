// Layers that arrive after the page (layers/deferred.py). A page's HTML holds the shell, the
// legend and empty layers; once the map is ready one request per source (a /map/layers/...
// route) brings every layer's GeoJSON, styles included, and the panels' HTML, so the page's
// size and time do not grow with the data. A source marked `viewport` asks for the map's view
// (padded by half) and asks again when the map moves outside what it has, or zooms in after
// an answer that left layers out for holding too many features (`left_out`: a city's labels).
// <html data-gm-layers="loading|loaded|failed"> tells tests and scripts when the data is in.
window.gmLayers = (function () {
    var pending = 0;
    function mark(delta, failed) {
        pending += delta;
        var root = document.documentElement;
        if (failed) { root.setAttribute('data-gm-layers', 'failed'); return; }
        if (root.getAttribute('data-gm-layers') !== 'failed') {
            root.setAttribute('data-gm-layers', pending ? 'loading' : 'loaded');
        }
    }
    // the view's box cut to China's (the routes refuse boxes outside it: gis.core.crs)
    function bboxOf(box) {
        var w = Math.max(box.getWest(), 73), s = Math.max(box.getSouth(), 3);
        var e = Math.min(box.getEast(), 136), n = Math.min(box.getNorth(), 54);
        if (!(w < e && s < n)) { return null; }
        return [w, s, e, n].map(function (v) { return v.toFixed(6); }).join(',');
    }
    function notice(map, text) {
        var div = L.DomUtil.create('div', 'gm-panel gm-layers-failed', map.getContainer());
        div.setAttribute('role', 'alert');
        div.textContent = text;
    }
    function fill(map, layers, data) {
        Object.keys(layers).forEach(function (key) {
            var layer = layers[key], part = data.layers ? data.layers[key] : null;
            if (layer.gmFill) { layer.gmFill(part); return; }  // clusters, heat maps: rows
            layer.clearLayers();
            if (part) { layer.addData(part); }
        });
        Object.keys(data.panels || {}).forEach(function (id) {
            var el = document.getElementById(id);
            if (el) { el.innerHTML = data.panels[id]; }
        });
        map.fire('gm:layers');
    }
    function fitTo(map, layers) {
        var box = L.latLngBounds([]);
        Object.keys(layers).forEach(function (key) {
            var layer = layers[key];
            if (layer.getLayers && layer.getLayers().length) { box.extend(layer.getBounds()); }
        });
        if (box.isValid()) { map.fitBounds(box, {animate: false}); }  // final before 'loaded'
    }
    // source(map, '/map/layers/overview?theme=unified', {key: L.GeoJSON, ...}, viewport, fit):
    // `fit` moves the map onto the data once it is in (pages whose box is not known before)
    function source(map, url, layers, viewport, fit) {
        var have = null, asked = 0, fitted = false, thin = null;
        function load() {
            var box = viewport ? map.getBounds().pad(0.5) : null, mine = ++asked;
            var bbox = box ? bboxOf(box) : null;
            if (box && !bbox) { return; }  // nothing of ours out there
            var full = bbox ? url + (url.indexOf('?') < 0 ? '?' : '&') + 'bbox=' + bbox : url;
            mark(1);
            fetch(full, {credentials: 'same-origin'}).then(function (res) {
                if (!res.ok) { throw new Error('HTTP ' + res.status); }
                return res.json();
            }).then(function (data) {
                if (mine !== asked) { mark(-1); return; }  // a newer view was asked for
                have = box;
                thin = data.left_out && data.left_out.length ? map.getZoom() : null;
                fill(map, layers, data);
                if (fit && !fitted) { fitted = true; fitTo(map, layers); }
                mark(-1);
            }).catch(function (err) {
                notice(map, '图层加载失败，请刷新页面重试（' + err.message + '）');
                mark(-1, true);
            });
        }
        map.whenReady(function () {
            load();
            if (viewport) {
                map.on('moveend', function () {
                    if (have && (!have.contains(map.getBounds())
                                 || (thin !== null && map.getZoom() > thin))) { load(); }
                });
            }
        });
    }
    // The options of an empty L.geoJSON whose features carry their own style (__style, the
    // layer builder's style_function result), highlight (__hl), popup and tooltip HTML.
    function options(spec, layerRef) {
        var opts = Object.assign({}, spec.options || {});
        opts.style = function (f) { return (f.properties && f.properties.__style) || {}; };
        if (spec.marker) {
            opts.pointToLayer = function (f, latlng) {
                var m = spec.marker, style = (f.properties && f.properties.__style) || {};
                if (m.kind === 'divicon') {
                    return L.marker(latlng, Object.assign({}, m.options, {
                        icon: L.divIcon(Object.assign({}, m.icon, style))}));
                }
                return L.circleMarker(latlng, Object.assign({}, m.options, style));
            };
        }
        opts.onEachFeature = function (f, layer) {
            var p = f.properties || {};
            if (spec.popup && p[spec.popup] != null) {
                layer.bindPopup(p[spec.popup], {maxWidth: spec.popupMaxWidth || 360});
            }
            if (spec.tooltip && p[spec.tooltip] != null) {
                layer.bindTooltip(p[spec.tooltip], {sticky: true});
            }
            if (spec.label && p[spec.label] != null) {
                layer.bindTooltip(p[spec.label], {permanent: true, direction: 'center',
                                                  className: spec.labelClass});
            }
            if (p.__hl) {
                layer.on({
                    mouseover: function (e) { if (e.target.setStyle) { e.target.setStyle(p.__hl); } },
                    mouseout: function (e) { if (e.target.setStyle) { layerRef().resetStyle(e.target); } }
                });
            }
        };
        return opts;
    }
    function layer(spec) {
        var made = null;
        made = L.geoJSON(null, options(spec, function () { return made; }));
        return made;
    }
    return {source: source, layer: layer};
})();
