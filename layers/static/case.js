// The case panel of /map/dispatch?event=CODE (layers/case.py): each button asks for a
// confirmation, writes through gm.send (login cookie + CSRF token, never a key), then reloads
// only the panel so the timeline shows the step at once; a refusal shows the API's reason.
// A photo chosen with 上传照片 is uploaded the same way and shows as a thumbnail.
(function () {
    var API = '/api/v1/events/';
    function body() { return document.querySelector('#gm-case .gm-case-body'); }
    function value(id) { var el = document.getElementById(id); return el ? el.value.trim() : ''; }
    function say(text, bad) {
        var msg = document.getElementById('gm-case-msg');
        msg.textContent = text;
        msg.className = bad ? 'gm-error' : 'gm-ok';
    }
    function reload() {
        var box = document.getElementById('gm-case');
        var url = '/map/dispatch/case?event=' + encodeURIComponent(body().dataset.event) +
            (box.dataset.reveal === 'true' ? '&reveal=true' : '');
        return fetch(url, {credentials: 'same-origin', headers: {Accept: 'text/html'}})
            .then(function (r) {
                if (!r.ok) { throw new Error('reload'); }
                return r.text();
            })
            .then(function (html) { document.getElementById('gm-case-inner').innerHTML = html; });
    }
    // what each button sends: [confirmation text, path, body] or a message to show instead
    function request(button) {
        var note = value('gm-note') || null, act = button.dataset.act, label = button.textContent;
        if (act === 'move') {
            if (button.dataset.needsNote && !note) { return '请先在“备注/原因”中填写' + label + '的原因'; }
            return ['确认' + label + '？', '/transitions', {to: button.dataset.to, note: note}];
        }
        if (act === 'escalate') {
            return ['确认' + label + '？', '/escalate', {from_level: body().dataset.level, note: note}];
        }
        if (act === 'priority') {
            return ['确认设置优先级？', '/priority', {priority: Number(value('gm-priority')), note: note}];
        }
        if (act === 'rate') {
            return ['确认记录满意度 ' + value('gm-score') + ' 分？', '/satisfaction',
                    {score: Number(value('gm-score')), note: note}];
        }
        var original = button.dataset.original || value('gm-original');
        if (!original) { return '请先填写原件编号'; }
        return ['确认把本件标记为 ' + original + ' 的重复件？', '/duplicate-of',
                {original: original, note: note}];
    }
    function act(button) {
        var req = request(button), label = button.textContent;
        if (typeof req === 'string') { say(req, true); return; }
        if (!window.confirm(req[0])) { return; }
        button.disabled = true;
        gm.send('POST', API + encodeURIComponent(body().dataset.event) + req[1], req[2])
            .then(function (res) {
                if (!res.ok) { button.disabled = false; say(label + '未完成：' + gm.problem(res), true); return; }
                return reload().then(function () { say(label + '：已完成'); },
                                     function () { say(label + '：已完成；请刷新页面查看最新状态'); });
            })
            .catch(function () { button.disabled = false; say(label + '未完成：网络错误', true); });
    }
    // 上传照片: the chosen file goes at once (multipart through gm.send: cookie + CSRF token);
    // the panel then reloads with its thumbnail, or the API's reason is shown.
    function upload(input) {
        var file = input.files && input.files[0];
        if (!file) { return; }
        var form = new FormData();
        form.append('photo', file, file.name);
        input.disabled = true;
        say('正在上传照片…');
        gm.send('POST', API + encodeURIComponent(body().dataset.event) + '/photos', form)
            .then(function (res) {
                if (!res.ok) { input.disabled = false; input.value = ''; say('照片未上传：' + gm.problem(res), true); return; }
                return reload().then(function () { say('照片已上传'); },
                                     function () { say('照片已上传；请刷新页面查看'); });
            })
            .catch(function () { input.disabled = false; say('照片未上传：网络错误', true); });
    }
    document.addEventListener('change', function (e) {
        if (e.target && e.target.id === 'gm-photo') { upload(e.target); }
    });
    document.addEventListener('click', function (e) {
        var button = e.target.closest && e.target.closest('#gm-case .gm-act');
        if (button) { act(button); }
    });
})();
