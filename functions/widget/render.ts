import { html, raw } from 'hono/html';
import { WIDGET_CSS } from './styles.js';

export const THEMES = ['light', 'dark'] as const;
export type Theme = (typeof THEMES)[number];

/** Bumped whenever the markup changes: it is part of the widget's ETag, so caches drop old markup on deploy. */
export const WIDGET_MARKUP_VERSION = 'widget-2';

export interface WidgetItem {
  id: string;
  title: string;
  /** Absolute URL of this item's own "similar items" widget (embed.js swaps it in place). */
  href: string;
}

export interface WidgetView {
  /** Visible heading and the region's accessible name, e.g. "Similar to Toy Story (1995)". */
  heading: string;
  items: WidgetItem[];
  /** Absent: follow the reader's prefers-color-scheme. */
  theme?: Theme;
  /** What embed.js reports events with: the version that answered and, under a split, the variant. */
  version: string;
  variant?: string;
}

/**
 * The widget: one self-contained HTML fragment (inline CSS, no scripts, no images, no external assets).
 * Every dataset string goes through hono/html's `html` template, which escapes & < > " '.
 * role="list" on the <ol>: Safari drops list semantics from lists styled list-style:none, which host pages' CSS resets
 * do; the widget's own CSS restores the markers, the role keeps the semantics if a host overrides that too.
 */
export async function renderWidget(v: WidgetView): Promise<string> {
  const items = v.items.map(
    (it) => html`<li><a href="${it.href}" data-edgerec-item="${it.id}">${it.title}</a></li>`,
  );
  const body = v.items.length
    ? html`<ol role="list">${items}</ol>`
    : html`<p class="edgerec-empty">No recommendations yet.</p>`;
  const out = await html`<section class="edgerec"${v.theme ? html` data-theme="${v.theme}"` : ''} data-edgerec-version="${v.version}"${v.variant ? html` data-edgerec-variant="${v.variant}"` : ''} aria-label="${v.heading}"><style>${raw(WIDGET_CSS)}</style><h2 tabindex="-1">${v.heading}</h2>${body}</section>`;
  return out.toString();
}
