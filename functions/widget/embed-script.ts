/**
 * The source of GET /embed.js, written in ES2017 by hand (no build step, < 3 KB). It fills every element with
 * data-edgerec-model plus data-edgerec-item or data-edgerec-user (optional data-edgerec-k, data-edgerec-theme)
 * with the widget fetched from the origin the script itself was loaded from, and marks each element's progress
 * in data-edgerec-state (loading | ready | error). A click on an item (mouse or keyboard) swaps in that item's
 * "similar items" widget and moves focus to its heading; modified clicks keep the browser's default.
 * window.edgerec.render() rescans the page (for content added later).
 */
export const EMBED_SCRIPT = `(function () {
  'use strict';
  var me = document.currentScript || document.querySelector('script[src*="/embed.js"]');
  if (!me || !me.src) return;
  var origin = new URL(me.src, location.href).origin;
  var enc = encodeURIComponent;
  function widgetUrl(el) {
    var d = el.dataset, kind = d.edgerecItem ? 'items' : d.edgerecUser ? 'users' : '';
    if (!d.edgerecModel || !kind) return '';
    var q = new URLSearchParams();
    if (d.edgerecK) q.set('k', d.edgerecK);
    if (d.edgerecTheme) q.set('theme', d.edgerecTheme);
    q = q.toString();
    return origin + '/widget/' + enc(d.edgerecModel) + '/' + kind + '/' +
      enc(kind === 'items' ? d.edgerecItem : d.edgerecUser) + (q ? '?' + q : '');
  }
  function load(el, focus) {
    var url = widgetUrl(el);
    if (!url) {
      el.setAttribute('data-edgerec-state', 'error');
      el.setAttribute('data-edgerec-error', 'needs data-edgerec-model and data-edgerec-item or data-edgerec-user');
      return Promise.resolve();
    }
    el.setAttribute('data-edgerec-state', 'loading');
    el.setAttribute('aria-busy', 'true');
    return fetch(url, { credentials: 'omit' }).then(function (r) {
      if (!r.ok) throw new Error('GET ' + url + ' answered ' + r.status);
      return r.text();
    }).then(function (html) {
      el.innerHTML = html;
      el.removeAttribute('data-edgerec-error');
      el.setAttribute('data-edgerec-state', 'ready');
      var h = focus && el.querySelector('h2');
      if (h) h.focus();
    }, function (e) {
      el.setAttribute('data-edgerec-state', 'error');
      el.setAttribute('data-edgerec-error', String(e && e.message || e));
    }).then(function () {
      el.removeAttribute('aria-busy');
    });
  }
  function onClick(ev) {
    var a = ev.target.closest && ev.target.closest('a[data-edgerec-item]');
    if (!a || ev.button || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    ev.preventDefault();
    this.removeAttribute('data-edgerec-user');
    this.setAttribute('data-edgerec-item', a.getAttribute('data-edgerec-item'));
    load(this, true);
  }
  function render() {
    var els = document.querySelectorAll('[data-edgerec-model]');
    return Promise.all(Array.prototype.map.call(els, function (el) {
      if (!el.edgerecBound) {
        el.edgerecBound = true;
        el.addEventListener('click', onClick);
      }
      return load(el, false);
    }));
  }
  window.edgerec = { render: render };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', render);
  else render();
})();
`;
