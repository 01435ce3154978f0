// The planner workbench (layers/workbench.py): area picker, 生成方案, 撤销, 应用 and 驳回 with a
// confirmation that lists what applying changes (the plan report's counts). Writes go through
// gm.send (login cookie + CSRF token, never an API key); each carries If-Match with the plan
// version the page shows, so a plan changed meanwhile answers 412 instead of being overwritten.
(function () {
    var $ = function (id) { return document.getElementById(id); };
    function say(id, text, bad) {
        var el = $(id);
        if (!el) { return; }
        el.textContent = text;
        el.style.color = bad ? '#d7191c' : '#333';
    }
    function num(id) {
        var v = parseInt($(id).value, 10);
        return isNaN(v) ? null : v;
    }
    function generate(button) {
        var scope = button.getAttribute('data-scope');
        var body = {kind: $('gm-kind').value, scope: scope};
        if (num('gm-min') !== null) { body.residential_min = num('gm-min'); }
        if (num('gm-max') !== null) { body.residential_max = num('gm-max'); }
        button.disabled = true;
        say('gm-generate-status', '正在生成方案，请稍候…');
        gm.send('POST', '/api/v1/plans', body).then(function (res) {
            if (res.ok) {
                window.location.href = '/map/plans?scope=' + encodeURIComponent(scope) +
                    '&plan=' + res.body.id;
                return;
            }
            button.disabled = false;
            say('gm-generate-status', '未能生成方案（' + res.status + '）：' + gm.problem(res), true);
        }).catch(function (err) {
            button.disabled = false;
            say('gm-generate-status', '网络错误：' + err, true);
        });
    }
    function planWrite(action, done, method, body) {
        var review = $('gm-review');
        var id = review.getAttribute('data-plan'), version = review.getAttribute('data-version');
        say('gm-plan-status', '提交中…');
        return gm.send(method || 'POST', '/api/v1/plans/' + id + '/' + action, body || null,
                       {'If-Match': '"' + version + '"'}).then(function (res) {
            if (!res.ok) {
                var hint = res.status === 412 ? '方案已被他人修改，请刷新页面：' : '';
                say('gm-plan-status', '未能完成（' + res.status + '）：' + hint + gm.problem(res), true);
                return;
            }
            say('gm-plan-status', done(res.body));
            window.location.reload();
        }).catch(function (err) { say('gm-plan-status', '网络错误：' + err, true); });
    }
    // a worker chosen for a new grid: PUT …/workers {seq: code} (null takes a pick back)
    function pickWorker(select) {
        var seq = select.getAttribute('data-seq'), code = select.value || null;
        if (code === null && !select.hasAttribute('data-picked')) { return; }
        var picks = {};
        picks[seq] = code;
        planWrite('workers', function () {
            return code ? '已为网格 #' + seq + ' 指定网格员。' : '已取消网格 #' + seq + ' 的指定。';
        }, 'PUT', {workers: picks});
    }
    function applied(body) {
        return '已应用：撤销 ' + body.grids_retired.length + ' 个网格，新建 ' +
            body.grids_created.length + ' 个网格，' + body.buildings_reassigned + ' 栋建筑改变网格。';
    }
    function confirmThen(action) {
        var dialog = $('gm-confirm'), id = $('gm-review').getAttribute('data-plan');
        $('gm-confirm-title').textContent = action === 'apply'
            ? '应用方案 ' + id + '，将会：' : '驳回方案 ' + id + '？';
        $('gm-confirm-apply').hidden = action !== 'apply';
        $('gm-confirm-reject').hidden = action === 'apply';
        // grids still without a grid worker are named in the dialog: confirming applies
        // anyway, which the API only does when told so (confirm_unstaffed); none: no flag
        var unstaffed = action === 'apply' && !!$('gm-confirm-unstaffed');
        if ($('gm-confirm-unstaffed')) { $('gm-confirm-unstaffed').hidden = !unstaffed; }
        $('gm-confirm-ok').onclick = function () {
            dialog.close();
            planWrite(unstaffed ? 'apply?confirm_unstaffed=true' : action,
                      action === 'apply' ? applied : function () { return '已驳回。'; });
        };
        $('gm-confirm-cancel').onclick = function () { dialog.close(); };
        dialog.showModal();
    }
    function zoomToGrid(code) {
        var map = Object.values(window).find(function (v) { return v instanceof L.Map; });
        map.eachLayer(function (layer) {
            var p = layer.feature && layer.feature.properties;
            if (p && p.code === code && layer.getBounds) { map.fitBounds(layer.getBounds()); }
        });
    }
    function wire() {
        var on = function (id, f) { var el = $(id); if (el) { el.addEventListener('click', f); } };
        var scope = $('gm-scope');
        if (scope) {
            scope.addEventListener('change', function () {
                if (scope.value) { window.location.href = '/map/plans?scope=' + encodeURIComponent(scope.value); }
            });
        }
        on('gm-generate', function (e) { generate(e.currentTarget); });
        on('gm-undo', function () { planWrite('undo', function () { return '已撤销上一步调整。'; }); });
        on('gm-apply', function () { confirmThen('apply'); });
        on('gm-reject', function () { confirmThen('reject'); });
        document.querySelectorAll('#gm-staffing select[data-seq]').forEach(function (select) {
            select.addEventListener('change', function () { pickWorker(select); });
        });
        document.querySelectorAll('#gm-out-of-range tr[data-grid]').forEach(function (row) {
            row.addEventListener('click', function () { zoomToGrid(row.getAttribute('data-grid')); });
        });
    }
    if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', wire); }
    else { wire(); }
})();
