// The workbench's manual redraw (layers/plan_edit.py): Leaflet.draw on the proposed map
// posts split/replace edits, clicked buildings move, two grid numbers merge; each successful
// edit reloads the page. Each edit is sent as a change of the plan version this page shows
// (If-Match): a plan changed meanwhile answers 412 and the page asks to reload. Writes go
// through gm.send (the login cookie and the page's CSRF token): no API key on the page.
window.gridmapPlanEditor = function (map, grids, buildings, drawn, planId, color, version) {
    var $ = function (id) { return document.getElementById(id); };
    var selected = {};
    function status(text, bad) {
        $('gm-status').textContent = text;
        $('gm-status').style.color = bad ? '#d7191c' : '#333';
    }
    function seq(id) {
        var v = parseInt($(id).value, 10);
        return isNaN(v) ? null : v;
    }
    function post(body) {
        status('提交中…');
        gm.send('POST', '/api/v1/plans/' + planId + '/edits', body,
                {'If-Match': '"' + version + '"'}).then(function (res) {
            if (res.ok) { status('已调整，正在刷新…'); window.location.reload(); return; }
            drawn.clearLayers();
            if (res.status === 412) {
                status('方案已被他人修改，请刷新页面后重做：' + gm.problem(res), true);
                return;
            }
            status('未能调整（' + res.status + '）：' + gm.problem(res), true);
        }).catch(function (err) { status('网络错误：' + err, true); });
    }
    map.on(L.Draw.Event.CREATED, function (e) {
        var geom = e.layer.toGeoJSON().geometry;
        if (e.layerType === 'polyline') {
            post({op: 'split', line: geom});
        } else if (e.layerType === 'polygon') {
            var body = {op: 'replace', polygon: geom};
            if (seq('gm-seq') !== null) { body.seq = seq('gm-seq'); }
            post(body);
        }
    });
    grids.eachLayer(function (layer) {
        layer.on('click', function () { $('gm-seq').value = layer.feature.properties.seq; });
    });
    buildings.eachLayer(function (layer) {
        layer.on('click', function () {
            var code = layer.feature.properties.code;
            if (selected[code]) { delete selected[code]; buildings.resetStyle(layer); }
            else { selected[code] = true; layer.setStyle({color: color, fillColor: color, fillOpacity: 0.9}); }
            $('gm-selected').textContent = '已选 ' + Object.keys(selected).length + ' 栋';
        });
    });
    $('gm-move').onclick = function () {
        var codes = Object.keys(selected);
        if (!codes.length || seq('gm-seq') === null) { status('请先选中建筑并填写目标网格#', true); return; }
        post({op: 'move', buildings: codes, to_seq: seq('gm-seq')});
    };
    $('gm-merge').onclick = function () {
        if (seq('gm-seq') === null || seq('gm-merge-with') === null) { status('请填写两个网格#', true); return; }
        post({op: 'merge', seqs: [seq('gm-seq'), seq('gm-merge-with')]});
    };
};
