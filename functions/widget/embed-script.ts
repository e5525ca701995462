/**
 * The source of GET /embed.js, written in ES2017 by hand (no build step, < 5 KB). It fills every element with
 * data-edgerec-model plus data-edgerec-item or data-edgerec-user (optional data-edgerec-k, data-edgerec-theme)
 * with the widget fetched from the origin the script itself was loaded from, and marks each element's progress
 * in data-edgerec-state (loading | ready | error). A click on an item (mouse or keyboard) swaps in that item's
 * "similar items" widget and moves focus to its heading; modified clicks keep the browser's default.
 * window.edgerec.render() rescans the page (for content added later).
 *
 * Never blank: when the widget cannot be fetched (network, 4xx, 5xx) the element shows the model's popular widget,
 * or, if that fails too, one line of text; data-edgerec-state stays "error" with data-edgerec-error saying why, and
 * data-edgerec-fallback says what is shown (popular | text).
 *
 * Visitor history (opt-in, data-edgerec-history="local"): the last 20 items the visitor opened, most recent first,
 * in the host page's localStorage under edgerec:history:<model> (no cookies). window.edgerec.viewed(id[, model])
 * records one (without a model: for every model of a history widget on the page), and so does a click on an item
 * of a history widget. A history element without data-edgerec-item/user shows /widget/:model/recommendations?items=
 * for that history, or /widget/:model/popular while it is empty.
 *
 * Events (README, "Events in"): a widget shown sends one impression per item, a followed link a click, to
 * POST /v1/events with navigator.sendBeacon (no cookies, no answer read), naming the variant the widget's section
 * names under a split; data-edgerec-events="off" sends none. A visitor id is sent (and passed to the widget, which
 * assigns A/B variants by it) only when the page gives one in data-edgerec-visitor; a user widget reports its user.
 */
const SOURCE = `(function () {
  'use strict';
  var me = document.currentScript || document.querySelector('script[src*="/embed.js"]');
  if (!me || !me.src) return;
  var origin = new URL(me.src, location.href).origin, enc = encodeURIComponent, each = Array.prototype.forEach;
  function key(m) { return 'edgerec:history:' + m; }
  function historyOf(m) {
    var h;
    try { h = JSON.parse(localStorage.getItem(key(m))); } catch (e) {}
    return Array.isArray(h) ? h.filter(function (id, i) { return typeof id == 'string' && id && id.length < 257 && h.indexOf(id) == i; }).slice(0, 20) : [];
  }
  function record(m, id) {
    var h = [id].concat(historyOf(m).filter(function (x) { return x != id; })).slice(0, 20);
    try { localStorage.setItem(key(m), JSON.stringify(h)); } catch (e) {}
  }
  function viewed(id, m) {
    if (m) return record(String(m), String(id));
    each.call(document.querySelectorAll('[data-edgerec-history=local][data-edgerec-model]'), function (el) {
      record(el.dataset.edgerecModel, String(id));
    });
  }
  function base(d) { return origin + '/widget/' + enc(d.edgerecModel) + '/'; }
  function params(d, sep) {
    var q = new URLSearchParams();
    if (d.edgerecK) q.set('k', d.edgerecK);
    if (d.edgerecTheme) q.set('theme', d.edgerecTheme);
    if (d.edgerecVisitor) q.set('visitor', d.edgerecVisitor);
    q = q.toString();
    return q ? sep + q : '';
  }
  function widgetUrl(d) {
    var h = d.edgerecHistory == 'local' && historyOf(d.edgerecModel), p = d.edgerecItem ? 'items/' + enc(d.edgerecItem) :
      d.edgerecUser ? 'users/' + enc(d.edgerecUser) : h && h.length ? 'recommendations?items=' + h.map(enc).join(',') : h && 'popular';
    return d.edgerecModel && p ? base(d) + p + params(d, p.indexOf('?') < 0 ? '?' : '&') : '';
  }
  function beacon(el, type, ids) {
    var d = el.dataset, s = el.querySelector('[data-edgerec-version]');
    if (d.edgerecEvents == 'off' || !s || !ids.length || !navigator.sendBeacon) return;
    navigator.sendBeacon(origin + '/v1/events', JSON.stringify({ events: ids.map(function (id) {
      return { type: type, model: d.edgerecModel, item: id, user: d.edgerecUser, visitor: d.edgerecUser ? void 0 : d.edgerecVisitor, variant: s.dataset.edgerecVariant };
    }) }));
  }
  function get(url) {
    return fetch(url, { credentials: 'omit' }).then(function (r) {
      if (!r.ok) throw new Error('GET ' + url + ' answered ' + r.status);
      return r.text();
    });
  }
  function load(el, focus) {
    var d = el.dataset, url = widgetUrl(d), popular = base(d) + 'popular' + params(d, '?'), n = el.edgerecLoads = (el.edgerecLoads || 0) + 1;
    function set(name, value) { el.setAttribute('data-edgerec-' + name, value); }
    function stale() { return n != el.edgerecLoads; }
    function show(html, fallback) {
      if (stale()) return;
      el.innerHTML = html;
      if (fallback) set('fallback', fallback);
      beacon(el, 'impression', [].map.call(el.querySelectorAll('a[data-edgerec-item]'), function (a) { return a.dataset.edgerecItem; }));
      var h = focus && el.querySelector('h2');
      if (h) h.focus();
    }
    if (!url) {
      set('state', 'error');
      set('error', 'needs data-edgerec-model and data-edgerec-item, -user or -history');
      return Promise.resolve();
    }
    set('state', 'loading');
    el.setAttribute('aria-busy', 'true');
    el.removeAttribute('data-edgerec-fallback');
    return get(url).then(function (html) {
      if (stale()) return;
      show(html);
      el.removeAttribute('data-edgerec-error');
      set('state', 'ready');
    }, function (e) {
      var why = String(e && e.message || e);
      if (stale()) return;
      set('state', 'error');
      set('error', why);
      return (url == popular ? Promise.reject() : get(popular)).then(function (html) {
        show(html, 'popular');
      }, function (e2) {
        if (e2 && !stale()) set('error', why + '; ' + (e2.message || e2));
        show('<p class="edgerec-fallback">Recommendations are unavailable right now.</p>', 'text');
      });
    }).then(function () {
      if (!stale()) el.removeAttribute('aria-busy');
    });
  }
  function onClick(ev) {
    var a = ev.target.closest && ev.target.closest('a[data-edgerec-item]'), id = a && a.getAttribute('data-edgerec-item');
    if (!a) return;
    beacon(this, 'click', [id]);
    if (this.dataset.edgerecHistory == 'local') record(this.dataset.edgerecModel, id);
    if (ev.button || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    ev.preventDefault();
    this.removeAttribute('data-edgerec-user');
    this.setAttribute('data-edgerec-item', id);
    load(this, true);
  }
  function render() {
    var all = [];
    each.call(document.querySelectorAll('[data-edgerec-model]'), function (el) {
      if (!el.edgerecBound) el.addEventListener('click', onClick);
      el.edgerecBound = true;
      all.push(load(el, false));
    });
    return Promise.all(all);
  }
  window.edgerec = { render: render, viewed: viewed };
  if (document.readyState == 'loading') document.addEventListener('DOMContentLoaded', render);
  else render();
})();
`;

/**
 * What GET /embed.js sends: SOURCE without its indentation, the one transformation (no statement spans lines in a
 * way that leading spaces could matter: there are no multi-line strings). It keeps the script under 5 KB.
 */
export const EMBED_SCRIPT = SOURCE.replace(/^ +/gm, '');
