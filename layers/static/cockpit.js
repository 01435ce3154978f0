// 数字驾驶舱 (/map/cockpit, layers/cockpit.py): KPIs of 街道 → 社区 → 网格 from /api/v1/kpis,
// drawn on the folium map (units coloured by 按期结案率, with a legend) and as Apache ECharts
// charts. A click on a unit (on the map or in the table) drills down one level; the crumbs
// go back up. Reads use the login cookie; the page writes nothing.
(function () {
    'use strict';
    var cfg = JSON.parse(document.getElementById('gm-cockpit-config').textContent);
    var map = window[cfg.map];
    var LEVELS = ['subdistrict', 'community', 'grid'];
    var LEVEL_NAMES = {subdistrict: '街道', community: '社区', grid: '网格'};
    var BINS = [  // 按期结案率 classes of the map and its legend
        {min: 0.9, color: '#1a9850', label: '≥ 90 %'},
        {min: 0.8, color: '#91cf60', label: '80 – 90 %'},
        {min: 0.6, color: '#fdae61', label: '60 – 80 %'},
        {min: 0, color: '#d73027', label: '< 60 %'}
    ];
    var NONE_COLOR = '#b0b0b0';
    var state = {path: [], layer: null, answer: null, charts: {}};
    var $ = function (id) { return document.getElementById(id); };

    function number(v, digits) {
        return v === null || v === undefined ? '—' : Number(v).toFixed(digits || 0);
    }
    function percent(v) { return v === null || v === undefined ? '—' : (v * 100).toFixed(2) + ' %'; }
    function colorOf(item) {
        if (!item || item.on_time_rate === null || item.on_time_rate === undefined) {
            return NONE_COLOR;
        }
        for (var i = 0; i < BINS.length; i++) {
            if (item.on_time_rate >= BINS[i].min) { return BINS[i].color; }
        }
        return NONE_COLOR;
    }
    function el(tag, attrs, text) {
        var node = document.createElement(tag);
        Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
        if (text !== undefined) { node.textContent = text; }
        return node;
    }
    function getJson(url) {
        return fetch(url, {credentials: 'same-origin'}).then(function (r) {
            return r.json().then(function (body) {
                if (!r.ok) { throw new Error(gm.problem({status: r.status, body: body})); }
                return body;
            });
        });
    }

    function query() {
        var q = new URLSearchParams();
        var depth = state.path.length;
        q.set('level', LEVELS[Math.min(depth, 2)]);
        if (depth > 0) { q.set('region', state.path[depth - 1].code); }
        if (depth > 1) { q.set('limit', '2000'); }  // every grid of the community (as its shapes)
        if ($('gm-from').value) { q.set('from', $('gm-from').value); }
        if ($('gm-to').value) { q.set('to', $('gm-to').value); }
        q.set('trend', $('gm-trend').value);
        return q;
    }
    function shapesUrl() {
        var depth = state.path.length;
        if (depth === 0) { return '/api/v1/regions?level=subdistrict&limit=500'; }
        var parent = state.path[depth - 1].code;
        if (depth === 1) { return '/api/v1/regions?level=community&limit=500&parent=' + parent; }
        return '/api/v1/grids?limit=2000&community=' + parent;
    }

    function load() {
        var q = query();
        $('gm-cockpit-status').textContent = '加载中…';
        $('gm-export').href = cfg.export + '?' + q.toString();
        Promise.all([getJson('/api/v1/kpis?' + q.toString()), getJson(shapesUrl())])
            .then(function (res) {
                state.answer = res[0];
                if (!$('gm-from').value) { $('gm-from').value = res[0].from; }
                if (!$('gm-to').value) { $('gm-to').value = res[0].to; }
                showFigures(res[0]);
                showUnits(res[0]);
                showMap(res[0], res[1]);
                showCharts(res[0]);
                $('gm-cockpit-status').textContent = '统计期间 ' + res[0].from + ' 至 ' +
                    res[0].to + '（' + LEVEL_NAMES[res[0].level] + '）';
            })
            .catch(function (err) { $('gm-cockpit-status').textContent = '加载失败：' + err.message; });
    }

    function showCrumbs() {
        var nav = document.querySelector('.gm-crumbs');
        nav.textContent = '';
        var top = el('button', {type: 'button'}, '全部辖区');
        top.addEventListener('click', function () { state.path = []; showCrumbs(); load(); });
        nav.appendChild(top);
        state.path.forEach(function (unit, i) {
            nav.appendChild(document.createTextNode(' › '));
            var b = el('button', {type: 'button'}, unit.name);
            b.addEventListener('click', function () {
                state.path = state.path.slice(0, i + 1); showCrumbs(); load();
            });
            nav.appendChild(b);
        });
        var last = state.path[state.path.length - 1];
        $('gm-scope').textContent = last ? last.name : '全部辖区';
    }

    var FIGURES = [
        ['events', '事件总数', function (t) { return number(t.events) + ' 件'; }],
        ['closed', '已结案', function (t) { return number(t.closed) + ' 件'; }],
        ['on_time_rate', '按期结案率', function (t) { return percent(t.on_time_rate); }],
        ['mean_hours_to_close', '平均结案时长', function (t) {
            return t.mean_hours_to_close === null ? '—' : number(t.mean_hours_to_close, 2) + ' 小时';
        }],
        ['satisfaction_rate', '满意率', function (t) { return percent(t.satisfaction_rate); }],
        ['overdue', '超期', function (t) { return number(t.overdue) + ' 件'; }],
        ['escalated', '吹哨上报', function (t) { return number(t.escalated) + ' 件'; }]
    ];
    function showFigures(answer) {
        var box = $('gm-kpis');
        box.textContent = '';
        FIGURES.forEach(function (f) {
            var card = el('div', {'class': 'gm-kpi'});
            card.appendChild(el('dt', {}, f[1]));
            card.appendChild(el('dd', {'data-kpi': f[0]}, f[2](answer.total)));
            box.appendChild(card);
        });
    }

    function unitName(item) { return item.unit_name || (item.unit_code ? item.unit_code : '未落地（待定位）'); }
    function drill(item) {
        if (!item.unit_code || state.path.length >= 2) { return false; }
        state.path.push({code: item.unit_code, name: unitName(item)});
        document.querySelector('.gm-cockpit').scrollTop = 0;
        showCrumbs();
        load();
        return true;
    }
    function showUnits(answer) {
        $('gm-units-title').textContent = '下级单位：' + LEVEL_NAMES[answer.level];
        var body = $('gm-units');
        body.textContent = '';
        answer.items.forEach(function (item) {
            var row = el('tr');
            var cell = el('td');
            if (item.unit_code && state.path.length < 2) {
                var b = el('button', {type: 'button', 'class': 'gm-unit'}, unitName(item));
                b.addEventListener('click', function () { drill(item); });
                cell.appendChild(b);
            } else {
                cell.textContent = unitName(item);
            }
            row.appendChild(cell);
            row.appendChild(el('td', {}, number(item.events)));
            row.appendChild(el('td', {}, percent(item.on_time_rate)));
            row.appendChild(el('td', {}, number(item.overdue)));
            body.appendChild(row);
        });
    }

    function popupHtml(name, item) {
        var rows = item ? [['事件', number(item.events) + ' 件'],
            ['按期结案率', percent(item.on_time_rate)], ['满意率', percent(item.satisfaction_rate)],
            ['超期', number(item.overdue) + ' 件']] : [['事件', '0 件']];
        var div = el('div', {'class': 'gm-popup'});
        div.appendChild(el('h4', {}, name));
        var table = el('table');
        rows.forEach(function (r) {
            var tr = el('tr');
            tr.appendChild(el('th', {}, r[0]));
            tr.appendChild(el('td', {}, r[1]));
            table.appendChild(tr);
        });
        div.appendChild(table);
        return div;
    }
    function showMap(answer, shapes) {
        var byCode = {};
        answer.items.forEach(function (i) { if (i.unit_code) { byCode[i.unit_code] = i; } });
        var features = shapes.features.filter(function (f) {
            return state.path.length > 0 || byCode[f.properties.code];
        });
        if (state.layer) { map.removeLayer(state.layer); }
        state.layer = L.geoJSON({type: 'FeatureCollection', features: features}, {
            style: function (f) {
                return {color: '#1f3550', weight: 2, fillColor: colorOf(byCode[f.properties.code]),
                        fillOpacity: 0.6};
            },
            onEachFeature: function (f, layer) {
                var item = byCode[f.properties.code];
                var name = f.properties.name || f.properties.code;
                layer.bindTooltip(name + '\n' + number(item ? item.events : 0) + ' 件',
                                  {permanent: true, direction: 'center',
                                   className: 'gm-cockpit-label'});
                layer.on('click', function () {
                    if (!(item && drill(item))) {
                        layer.bindPopup(popupHtml(name, item)).openPopup();
                    }
                });
            }
        }).addTo(map);
        if (features.length) { map.fitBounds(state.layer.getBounds(), {padding: [10, 10]}); }
    }

    function chart(id) {
        if (!state.charts[id]) { state.charts[id] = echarts.init($(id)); }
        return state.charts[id];
    }
    function labelled(counts, labels) {
        return Object.keys(counts || {}).map(function (code) {
            return {name: labels[code] || code, value: counts[code]};
        });
    }
    function showCharts(answer) {
        var trend = answer.trend || [];
        chart('gm-chart-trend').setOption({
            tooltip: {trigger: 'axis'}, legend: {top: 0},
            grid: {left: 40, right: 10, top: 30, bottom: 30},
            xAxis: {type: 'category', data: trend.map(function (p) { return p.period; })},
            yAxis: {type: 'value', name: '件', minInterval: 1},
            series: [
                {name: '上报', type: 'line', data: trend.map(function (p) { return p.events; })},
                {name: '结案', type: 'line', data: trend.map(function (p) { return p.closed; })},
                {name: '超期', type: 'line', data: trend.map(function (p) { return p.overdue; })}
            ]
        }, true);
        chart('gm-chart-category').setOption({
            tooltip: {trigger: 'item', formatter: '{b}：{c} 件（{d} %）'},
            series: [{type: 'pie', radius: ['35%', '65%'],
                      data: labelled(answer.total.by_category, cfg.categories)}]
        }, true);
        var channels = labelled(answer.total.by_channel, cfg.channels);
        chart('gm-chart-channel').setOption({
            tooltip: {trigger: 'axis', valueFormatter: function (v) { return v + ' 件'; }},
            grid: {left: 90, right: 20, top: 10, bottom: 25},
            xAxis: {type: 'value', name: '件', minInterval: 1},
            yAxis: {type: 'category', data: channels.map(function (c) { return c.name; })},
            series: [{type: 'bar', data: channels.map(function (c) { return c.value; })}]
        }, true);
    }

    function addLegend() {
        var legend = L.control({position: 'bottomleft'});
        legend.onAdd = function () {
            var div = L.DomUtil.create('div', 'gm-panel gm-cockpit-legend');
            div.setAttribute('aria-label', '图例');
            div.appendChild(el('h3', {}, '按期结案率'));
            BINS.concat([{color: NONE_COLOR, label: '无结案'}]).forEach(function (b) {
                var row = el('div', {'class': 'gm-legend-row'});
                var swatch = el('span', {'class': 'gm-swatch gm-swatch-fill'});
                swatch.style.setProperty('--c', b.color);
                row.appendChild(swatch);
                row.appendChild(el('span', {}, b.label));
                div.appendChild(row);
            });
            return div;
        };
        legend.addTo(map);
    }

    $('gm-cockpit-range').addEventListener('submit', function (e) { e.preventDefault(); load(); });
    $('gm-trend').addEventListener('change', load);
    window.addEventListener('resize', function () {
        Object.keys(state.charts).forEach(function (k) { state.charts[k].resize(); });
    });
    addLegend();
    showCrumbs();
    load();
})();
