// gridmap's page helpers (layers/shell.py): writes that carry the CSRF token, the menu toggle.
// A page never holds an API key: the login cookie plus the token in <meta name="gm-csrf">
// authorise its writes (api/deps.py), and the server checks that the token matches the cookie.
window.gm = (function () {
    function csrf() {
        var meta = document.querySelector('meta[name="gm-csrf"]');
        return meta ? meta.content : '';
    }
    // send('POST', '/api/v1/events', {...}) -> Promise of {ok, status, body}; body is the
    // parsed JSON answer (or its text), so callers show `body.detail` on an error. A FormData
    // body (a file upload) goes as multipart, its boundary set by the browser.
    function send(method, url, body, headers) {
        var h = {'X-CSRF-Token': csrf()}, form = body instanceof FormData;
        if (body !== undefined && body !== null && !form) { h['Content-Type'] = 'application/json'; }
        Object.keys(headers || {}).forEach(function (k) { h[k] = headers[k]; });
        return fetch(url, {
            method: method, headers: h, credentials: 'same-origin',
            body: body === undefined || body === null ? undefined : (form ? body : JSON.stringify(body))
        }).then(function (r) {
            var type = r.headers.get('content-type') || '';
            var parsed = type.indexOf('json') >= 0 ? r.json() : r.text();
            return parsed.then(function (b) { return {ok: r.ok, status: r.status, body: b}; });
        });
    }
    // A readable message from an error answer ({detail: "..."} or FastAPI's list of problems).
    function problem(res) {
        var d = res.body && res.body.detail;
        if (Array.isArray(d)) { return d.map(function (x) { return x.msg; }).join('；'); }
        return d || ('请求失败 (HTTP ' + res.status + ')');
    }
    function toggleMenu() { document.body.classList.toggle('gm-menu-open'); }
    // On a phone (<= 640 px wide) every panel and legend folds behind a 40 px button named
    // after it, and the layer list behind Leaflet's own button, so the map stays visible.
    function foldButton(panel) {
        var head = panel.querySelector('summary, h3');
        var name = panel.classList.contains('gm-legend') ? '图例' :
            (head ? head.textContent.trim().slice(0, 6) : '面板');
        var button = document.createElement('button');
        button.type = 'button'; button.className = 'gm-fold leaflet-control';
        button.textContent = name;
        button.setAttribute('aria-expanded', 'false');
        if (window.L) { L.DomEvent.disableClickPropagation(button); }
        button.addEventListener('click', function () {
            var open = panel.classList.toggle('gm-unfolded');
            button.setAttribute('aria-expanded', open ? 'true' : 'false');
        });
        return button;
    }
    function fold() {
        if (!window.matchMedia('(max-width: 640px)').matches) { return; }
        document.body.classList.add('gm-phone');
        document.querySelectorAll('.gm-panel').forEach(function (panel) {
            panel.parentNode.insertBefore(foldButton(panel), panel);
        });
        document.querySelectorAll('.leaflet-control-layers-expanded').forEach(function (box) {
            box.classList.remove('leaflet-control-layers-expanded');
            var link = box.querySelector('.leaflet-control-layers-toggle');
            if (link) {
                link.addEventListener('click', function (e) {
                    e.preventDefault();
                    box.classList.toggle('leaflet-control-layers-expanded');
                });
            }
        });
    }
    document.addEventListener('DOMContentLoaded', fold);
    return {csrf: csrf, send: send, problem: problem, toggleMenu: toggleMenu};
})();
