// The dispatcher's list page (layers/dispatch_list.py): a row's 定位 button flies the map to
// the event and scrolls the map into view.
(function () {
    function map() {
        return Object.values(window).find(function (v) { return v instanceof L.Map; });
    }
    document.addEventListener('click', function (e) {
        var button = e.target.closest && e.target.closest('.gm-fly');
        if (!button) { return; }
        map().setView([Number(button.dataset.lat), Number(button.dataset.lon)], 18, {animate: false});
    });
})();
