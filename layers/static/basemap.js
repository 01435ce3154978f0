// gridmap's basemap coordinates (layers/basemaps.py). On a GCJ-02 basemap (高德) the server
// draws every layer shifted to GCJ-02 so it sits on the image; a page script that reads a
// position off the map (a click's e.latlng, the centre) gets storage coordinates (CGCS2000,
// equal to WGS84 within cm) with gmBasemap.toStorage(latlng), and places a storage position
// with gmBasemap.toMap(latlng). On any other basemap, or none, both return the same position.
// The formulas are gis/core/crs.py's wgs84_to_gcj02 and its iterated inverse.
window.gmBasemap = (function () {
    var A = 6378245.0, EE = 0.00669342162296594323, PI = Math.PI;
    function tlat(x, y) {
        var r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
        r += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
        r += (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0;
        r += (160.0 * Math.sin(y / 12.0 * PI) + 320 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
        return r;
    }
    function tlon(x, y) {
        var r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
        r += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
        r += (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0;
        r += (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
        return r;
    }
    function toGcj(lon, lat) {
        if (lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271) { return [lon, lat]; }
        var dlat = tlat(lon - 105.0, lat - 35.0), dlon = tlon(lon - 105.0, lat - 35.0);
        var rad = lat / 180.0 * PI, magic = 1 - EE * Math.sin(rad) * Math.sin(rad);
        var sq = Math.sqrt(magic);
        dlat = (dlat * 180.0) / ((A * (1 - EE)) / (magic * sq) * PI);
        dlon = (dlon * 180.0) / (A / sq * Math.cos(rad) * PI);
        return [lon + dlon, lat + dlat];
    }
    function fromGcj(lon, lat) {
        var x = lon, y = lat;
        for (var i = 0; i < 20; i++) {
            var f = toGcj(x, y), dx = f[0] - lon, dy = f[1] - lat;
            x -= dx; y -= dy;
            if (Math.abs(dx) < 1e-10 && Math.abs(dy) < 1e-10) { break; }
        }
        return [x, y];
    }
    var api = {crs: 'wgs84'};
    api.toStorage = function (latlng) {
        var p = api.crs === 'gcj02' ? fromGcj(latlng.lng, latlng.lat) : [latlng.lng, latlng.lat];
        return L.latLng(p[1], p[0]);
    };
    api.toMap = function (latlng) {
        var p = api.crs === 'gcj02' ? toGcj(latlng.lng, latlng.lat) : [latlng.lng, latlng.lat];
        return L.latLng(p[1], p[0]);
    };
    return api;
})();
