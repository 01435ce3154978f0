// The plan review page's manual redraw (layers/plan_edit.py): Leaflet.draw on the proposed
// map posts split/replace edits, clicked buildings move, two grid numbers merge; each
// successful edit reloads the page. Each edit is sent as a change of the plan version this
// page shows (If-Match): a plan changed meanwhile answers 412 and the page asks to reload.
// The API key stays in this tab's sessionStorage.
window.gridmapPlanEditor = function (map, grids, buildings, drawn, planId, keyName, color, version) {
    L.drawLocal.draw.toolbar.buttons.polyline = '画线：沿线拆分网格 (split line)';
    L.drawLocal.draw.toolbar.buttons.polygon = '画多边形：替换网格边界 (new boundary)';
    var $ = function (id) { return document.getElementById(id); };
    var selected = {};
    function status(text, bad) {
        $('gm-status').textContent = text;
        $('gm-status').style.color = bad ? '#d7191c' : '#333';
    }
    function showKey() {
        $('gm-key-state').textContent = sessionStorage.getItem(keyName) ? '已保存' : '未保存';
    }
    $('gm-key-save').onclick = function () {
        sessionStorage.setItem(keyName, $('gm-key').value.trim());
        $('gm-key').value = '';
        showKey();
    };
    showKey();
    function seq(id) {
        var v = parseInt($(id).value, 10);
        return isNaN(v) ? null : v;
    }
    function post(body) {
        var key = sessionStorage.getItem(keyName);
        if (!key) { status('请先粘贴并保存 API 密钥 (paste your API key first)', true); return; }
        status('提交中… (posting)');
        fetch('/api/v1/plans/' + planId + '/edits', {
            method: 'POST', body: JSON.stringify(body),
            headers: {'Content-Type': 'application/json', 'Authorization': 'Bearer ' + key,
                      'If-Match': '"' + version + '"'}
        }).then(function (r) {
            return r.json().then(function (j) { return {ok: r.ok, code: r.status, body: j}; });
        }).then(function (res) {
            if (res.ok) { status('已调整，正在刷新… (done, reloading)'); window.location.reload(); return; }
            var d = res.body.detail;
            if (res.code === 412) {
                status('方案已被他人修改，请刷新页面后重做 (the plan changed since this page loaded: reload): ' + d, true);
                drawn.clearLayers();
                return;
            }
            status('未能调整 (' + res.code + '): ' + (typeof d === 'string' ? d : JSON.stringify(d)), true);
            drawn.clearLayers();
        }).catch(function (err) { status('网络错误 (network error): ' + err, true); });
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
    };};
