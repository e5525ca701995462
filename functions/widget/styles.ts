/**
 * The widget's CSS, scoped under .edgerec so that it neither leaks into nor (much) inherits from the host page.
 * Contrast (WCAG AA asks 4.5:1): light text 16.5:1, links #0b57d0 6.4:1 on #fff; dark text 13.5:1, links #8ab4f8
 * 7.8:1 on #1f1f1f. Without data-theme the widget follows the reader's prefers-color-scheme.
 */
const LIGHT = '--er-bg:#fff;--er-fg:#1f1f1f;--er-link:#0b57d0;--er-border:#d3d3d3';
const DARK = '--er-bg:#1f1f1f;--er-fg:#e8e8e8;--er-link:#8ab4f8;--er-border:#4a4a4a';

export const WIDGET_CSS = [
  `.edgerec{${LIGHT};all:initial;display:block;box-sizing:border-box;max-width:28rem;padding:12px 16px;border:1px solid var(--er-border);border-radius:8px;background:var(--er-bg);color:var(--er-fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}`,
  `.edgerec[data-theme=dark]{${DARK}}`,
  `@media (prefers-color-scheme:dark){.edgerec:not([data-theme]){${DARK}}}`,
  '.edgerec h2{margin:0 0 8px;font-size:15px;font-weight:600;line-height:1.3;color:inherit}',
  '.edgerec ol{margin:0;padding:0 0 0 1.6em;list-style:decimal}',
  '.edgerec li{margin:4px 0;padding:0}',
  '.edgerec a{color:var(--er-link);text-decoration:underline;text-underline-offset:2px}',
  '.edgerec a:focus-visible,.edgerec h2:focus-visible{outline:2px solid var(--er-link);outline-offset:2px;border-radius:2px}',
  '.edgerec p{margin:0}',
].join('');
