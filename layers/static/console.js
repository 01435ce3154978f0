// The dispatcher console (layers/console.py): search, intake and the 待定位 queue on one map.
// Every read and write goes through gm.send (gridmap.js): the login cookie plus the page's
// CSRF token; the page never holds a key. Times are shown in Beijing time (UTC+8, no DST).
window.gmConsole = (function () {
    var map, config, marks, gridLayer, picked = null, chosen = null;

    function $(id) { return document.getElementById(id); }
    function esc(v) {
        return String(v === null || v === undefined ? '' : v).replace(/[&<>"']/g, function (c) {
            return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
        });
    }
    function two(n) { return (n < 10 ? '0' : '') + n; }
    // ISO 8601 (any offset) -> "YYYY-MM-DD HH:MM" in Asia/Shanghai (UTC+8 all year)
    function beijing(iso) {
        if (!iso) { return '—'; }
        var d = new Date(new Date(iso).getTime() + 8 * 3600 * 1000);
        return d.getUTCFullYear() + '-' + two(d.getUTCMonth() + 1) + '-' + two(d.getUTCDate()) +
            ' ' + two(d.getUTCHours()) + ':' + two(d.getUTCMinutes());
    }
    function tel(phone) {
        return phone ? '<a href="tel:' + esc(phone) + '">' + esc(phone) + '</a>' : '—';
    }
    function row(k, v) { return '<tr><th>' + esc(k) + '</th><td>' + v + '</td></tr>'; }
    function fail(box, res) { box.innerHTML = '<p class="gm-error">' + esc(gm.problem(res)) + '</p>'; }
    function get(url) { return gm.send('GET', url); }
    function qs(params) {
        return Object.keys(params).map(function (k) {
            return encodeURIComponent(k) + '=' + encodeURIComponent(params[k]);
        }).join('&');
    }

    // --- the map: one marker group, one highlighted grid ---------------------------------
    function highlight(gridCode) {
        if (gridLayer) { map.removeLayer(gridLayer); gridLayer = null; }
        if (!gridCode) { return; }
        get('/api/v1/grids/' + encodeURIComponent(gridCode)).then(function (res) {
            if (!res.ok) { return; }
            gridLayer = L.geoJSON(res.body, {interactive: false, style: {
                color: '#ff6f00', weight: 4, fillColor: '#ffe0b2', fillOpacity: 0.35}}).addTo(map);
        });
    }
    function pin(lat, lon, label) {
        marks.clearLayers();
        L.circleMarker([lat, lon], {radius: 9, color: '#d32f2f', fillColor: '#ef5350',
            fillOpacity: 0.9, weight: 2}).bindTooltip(esc(label)).addTo(marks);
        map.flyTo([lat, lon], Math.max(map.getZoom(), 17), {duration: 0.5});
    }

    // --- the grid worker's card of a located place ----------------------------------------
    function card(place, building) {
        var w = place.worker || {};
        var rows = row('网格', esc(place.grid.code) + ' ' + esc(place.grid.name)) +
            row('社区', esc(place.community.name || place.community.code || '—')) +
            row('街道', esc(place.subdistrict.name || '—')) +
            row('网格员', esc(w.name || '—')) + row('联系电话', tel(w.phone)) +
            row('监督电话', tel(w.supervision_phone)) +
            row('最近楼栋', building ? esc(building.address) + '（约 ' +
                Math.round(building.distance_m) + ' 米）' : '附近 150 米内无楼栋');
        return '<table class="gm-card gm-worker-card">' + rows + '</table>';
    }

    // --- 搜索 ----------------------------------------------------------------------------
    var KINDS = {coordinates: '坐标', grid: '网格', building: '楼栋', address: '地址',
                 compound: '小区'};
    function search(ev) {
        ev.preventDefault();
        var box = $('gm-search-result'), q = $('gm-search').value.trim();
        if (!q) { box.innerHTML = '<p class="gm-error">请输入要查找的内容。</p>'; return; }
        box.innerHTML = '<p>查找中…</p>';
        get('/api/v1/geocode/search?' + qs({q: q, crs: $('gm-search-crs').value}))
            .then(function (res) {
                if (!res.ok) { fail(box, res); return; }
                var f = res.body;
                pin(f.lat, f.lon, f.label || q);
                highlight(f.place.grid.code);
                var others = f.candidates.length > 1 && !f.clear ?
                    '<p class="gm-hint">地址不够明确，另有 ' + (f.candidates.length - 1) +
                    ' 个候选楼栋。</p>' : '';
                box.innerHTML = '<p><b>' + esc(KINDS[f.kind] || f.kind) + '</b> ' +
                    esc(f.label || '') + '</p>' + card(f.place, f.building) + others +
                    '<button type="button" id="gm-use-place">用此位置登记</button>';
                $('gm-use-place').addEventListener('click', function () {
                    pick(f.lat, f.lon, f.building ? f.building.address : f.label);
                });
            });
    }

    // --- 受理登记 -------------------------------------------------------------------------
    function pick(lat, lon, address) {
        picked = {lon: lon, lat: lat, crs: 'EPSG:4490'};
        if (address) { $('gm-address').value = address; }
        $('gm-picked').textContent = '已在地图选点：' + lon.toFixed(6) + ', ' + lat.toFixed(6);
    }
    function pickOnMap(e) {
        var lat = e.latlng.lat, lon = e.latlng.lng;
        pin(lat, lon, '选点');
        get('/api/v1/geocode/reverse?' + qs({lon: lon, lat: lat})).then(function (res) {
            if (!res.ok) { fail($('gm-search-result'), res); return; }
            pick(res.body.lat, res.body.lon, res.body.building && res.body.building.address);
            highlight(res.body.place.grid.code);
            $('gm-search-result').innerHTML = card(res.body.place, res.body.building);
        });
    }
    function intakeBody() {
        var body = {category: $('gm-category').value, channel: $('gm-channel').value};
        var address = $('gm-address').value.trim(), text = $('gm-description').value.trim();
        var name = $('gm-reporter').value.trim(), phone = $('gm-phone').value.trim();
        if (address) { body.address = address; }
        if (text) { body.description = text; }
        if (picked) { body.location = picked; }
        if (name || phone) { body.reporter = {name: name || null, phone: phone || null}; }
        return body;
    }
    function duplicates(list) {
        if (!list || !list.length) { return '<p class="gm-hint">附近 50 米内无同类未结事件。</p>'; }
        return '<div class="gm-duplicates"><b>疑似重复：</b><ul>' + list.map(function (d) {
            return '<li><a href="/map/dispatch?event=' + encodeURIComponent(d.code) + '">' +
                esc(d.code) + '</a> 相距约 ' + Math.round(d.distance_m || 0) + ' 米 · ' +
                esc(beijing(d.reported_at)) + '</li>';
        }).join('') + '</ul></div>';
    }
    function eventCard(f) {
        var p = f.properties, link = '/map/dispatch?event=' + encodeURIComponent(p.code);
        var head = '<p>已登记 <a class="gm-event-code" href="' + link + '">' + esc(p.code) +
            '</a> · ' + esc(p.category_label || p.category) + ' · ' +
            esc(p.status_label || p.status) + '</p>';
        if (!f.geometry) {
            return head + '<p class="gm-warn">地址不明确，已存入<b>待定位</b>队列' +
                '（不丢失），请在下方队列中定位。</p>';
        }
        return head + '<table class="gm-card gm-event-card">' +
            row('网格', esc(p.grid_code) + ' ' + esc(p.grid_name || '')) +
            row('社区', esc(p.community_name || p.community_code || '—')) +
            row('网格员', esc(p.worker_name || '—')) + row('联系电话', tel(p.worker_phone)) +
            row('处置时限', esc(beijing(p.due_at))) + '</table>' + duplicates(f.duplicates);
    }
    function submit(ev) {
        ev.preventDefault();
        var box = $('gm-intake-result'), body = intakeBody();
        if (!body.category) { box.innerHTML = '<p class="gm-error">请选择类别。</p>'; return; }
        if (!body.address && !body.location) {
            box.innerHTML = '<p class="gm-error">请填写地址，或在地图上点选位置。</p>'; return;
        }
        box.innerHTML = '<p>提交中…</p>';
        gm.send('POST', '/api/v1/events', body).then(function (res) {
            if (!res.ok) { fail(box, res); return; }
            box.innerHTML = eventCard(res.body);
            var c = res.body.geometry && res.body.geometry.coordinates;
            if (c) { pin(c[1], c[0], res.body.properties.code); highlight(res.body.properties.grid_code); }
            else { loadQueue(res.body.properties.code); }
            picked = null;
            $('gm-picked').textContent = '地址不明时点击地图选点';
        });
    }

    // --- 待定位 ---------------------------------------------------------------------------
    function loadQueue(select) {
        get('/api/v1/events?' + qs({status: 'needs_location', limit: 50})).then(function (res) {
            var list = $('gm-queue');
            if (!res.ok) { fail($('gm-queue-result'), res); return; }
            var items = res.body.features;
            list.innerHTML = items.length ? '' : '<li class="gm-hint">没有待定位事件。</li>';
            items.forEach(function (f) {
                var p = f.properties, li = document.createElement('li');
                li.innerHTML = '<button type="button" class="gm-queue-item">' + esc(p.code) +
                    ' · ' + esc(p.category_label || p.category) + '<br><small>' +
                    esc(p.address || '（无地址）') + ' · ' + esc(beijing(p.reported_at)) +
                    '</small></button>';
                li.firstChild.addEventListener('click', function () { choose(p, li); });
                list.appendChild(li);
                if (p.code === select) { choose(p, li); }
            });
        });
    }
    function choose(p, li) {
        chosen = p;
        document.querySelectorAll('.gm-queue-item').forEach(function (b) {
            b.setAttribute('aria-pressed', 'false');
        });
        li.firstChild.setAttribute('aria-pressed', 'true');
        marks.clearLayers();
        var box = $('gm-queue-result');
        box.innerHTML = '<p>已选 <b>' + esc(p.code) + '</b>：点击候选位置或地图上任意位置定位。</p>';
        if (!p.address) { return; }
        get('/api/v1/geocode?' + qs({q: p.address, limit: 5})).then(function (res) {
            if (!res.ok || chosen !== p) { return; }
            var bounds = [];
            res.body.candidates.forEach(function (c, i) {
                var m = L.marker([c.lat, c.lon], {title: '候选' + (i + 1), icon: L.divIcon({
                    className: 'gm-candidate', html: String(i + 1), iconSize: [28, 28]})});
                m.bindTooltip('候选' + (i + 1) + '：' + esc(c.address)).on('click', function () {
                    place(c.lon, c.lat, '按候选楼栋 ' + c.address + ' 定位');
                }).addTo(marks);
                bounds.push([c.lat, c.lon]);
            });
            box.innerHTML += '<ol class="gm-candidates">' + res.body.candidates.map(function (c, i) {
                return '<li><button type="button" data-i="' + i + '">候选' + (i + 1) + '：' +
                    esc(c.address) + '</button></li>';
            }).join('') + '</ol>';
            box.querySelectorAll('.gm-candidates button').forEach(function (b) {
                var c = res.body.candidates[Number(b.dataset.i)];
                b.addEventListener('click', function () {
                    place(c.lon, c.lat, '按候选楼栋 ' + c.address + ' 定位');
                });
            });
            if (bounds.length) { map.fitBounds(bounds, {maxZoom: 17, padding: [40, 40]}); }
        });
    }
    function place(lon, lat, note) {
        var p = chosen, box = $('gm-queue-result');
        if (!p) { return; }
        if (!config.places) {
            box.innerHTML = '<p class="gm-error">待定位事件由调度员定位，请联系街道指挥中心。</p>';
            return;
        }
        gm.send('POST', '/api/v1/events/' + encodeURIComponent(p.code) + '/location',
                {lon: lon, lat: lat, crs: 'EPSG:4490', note: note}).then(function (res) {
            if (!res.ok) { fail(box, res); return; }
            chosen = null;
            box.innerHTML = eventCard(res.body).replace('已登记', '已定位');
            pin(lat, lon, p.code);
            highlight(res.body.properties.grid_code);
            loadQueue();
        });
    }

    function clicked(e) {
        if (chosen && config.places) { place(e.latlng.lng, e.latlng.lat, '在地图上定位'); }
        else { pickOnMap(e); }
    }

    function start(m, cfg) {
        map = m; config = cfg; marks = L.layerGroup().addTo(map);
        $('gm-search-form').addEventListener('submit', search);
        $('gm-intake').addEventListener('submit', submit);
        $('gm-address').addEventListener('input', function () {
            picked = null; $('gm-picked').textContent = '地址不明时点击地图选点';
        });
        map.on('click', clicked);
        loadQueue();
    }
    return {start: start, beijing: beijing};
})();
