import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';

/** Debian's chromium (CI installs it in .ci/run); CHROMIUM_PATH overrides. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless, offline, nothing persisted: a report must open with no network at all. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export class ChromiumMissingError extends Error {
  override name = 'ChromiumMissingError';
}

export interface OpenedPage {
  page: Page;
  /** URLs the page asked for besides itself (a self-contained report asks for none); such requests are refused. */
  outsideRequests: string[];
  close(): Promise<void>;
}

/** Opens an HTML file in headless Chromium with a fresh profile; every other request is aborted and recorded. */
export async function openInChromium(htmlPath: string, viewport = { width: 1280, height: 900 }): Promise<OpenedPage> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new ChromiumMissingError(
      `Chromium not found at ${CHROMIUM_PATH}: install it with "apt-get update && apt-get install -y chromium" (CI does this in .ci/run), or set CHROMIUM_PATH`,
    );
  }
  const { chromium } = await import('playwright-core');
  const profile = await mkdtemp(join(tmpdir(), 'edgerec-chromium-'));
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport,
      timeout: 30_000,
    });
    const url = pathToFileURL(resolve(htmlPath)).href;
    const outsideRequests: string[] = [];
    await context.route('**/*', (route) => {
      const u = route.request().url();
      if (u === url) return route.continue();
      outsideRequests.push(u);
      return route.abort();
    });
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
    const opened = context;
    return {
      page,
      outsideRequests,
      close: async () => {
        await opened.close();
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await context?.close().catch(() => {});
    await rm(profile, { recursive: true, force: true });
    throw e;
  }
}

export interface ChartCheck {
  /** The chart's data-chart name. */
  id: string;
  /** Drawn size of the chart's plot <svg>. */
  width: number;
  height: number;
  /** Mark elements (dots, bars, lines; not axes or frames) with a non-zero drawn size, per mark type. */
  marks: Record<string, number>;
  /** Hover titles (<title>) on marks. */
  titles: number;
}

/** What every [data-chart] in the page actually drew, measured by the browser's layout (getBBox). */
export async function inspectCharts(page: Page): Promise<ChartCheck[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('[data-chart]') as NodeListOf<HTMLElement>, (fig) => {
      // Plot's own <svg> carries a "plot-…" class; legend swatches are small class-less svgs.
      const svgs = Array.from(fig.querySelectorAll('svg') as NodeListOf<SVGSVGElement>);
      const svg = svgs.find((s) => /\bplot-/.test(s.getAttribute('class') ?? ''));
      const box = svg?.getBoundingClientRect();
      const marks: Record<string, number> = {};
      let titles = 0;
      const groups = svg ? Array.from(svg.querySelectorAll(':scope > g[aria-label]') as NodeListOf<SVGGElement>) : [];
      for (const g of groups) {
        const label = g.getAttribute('aria-label') ?? '';
        if (/axis|frame|grid/.test(label)) continue;
        for (const el of Array.from(g.querySelectorAll('circle, rect, path, line') as NodeListOf<SVGGraphicsElement>)) {
          const b = el.getBBox();
          if (b.width > 0 || b.height > 0) marks[label] = (marks[label] ?? 0) + 1;
        }
        titles += g.querySelectorAll('title').length;
      }
      return { id: fig.dataset.chart ?? '', width: box?.width ?? 0, height: box?.height ?? 0, marks, titles };
    }),
  );
}
