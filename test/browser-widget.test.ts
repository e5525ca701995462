// A real browser (Debian's chromium through playwright-core) loads a host page from one origin that embeds the widget
// with <script src=".../embed.js"> from the Worker on another origin (Miniflare on loopback), so CORS, CORP,
// escaping and the script's DOM work are exercised as a visitor's browser would. Screenshot: test/artifacts/.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvents } from '../training/events/read.js';
import { bucketOverR2 } from '../training/publish/local-bucket.js';
import { publishArtifact } from '../training/publish/publish.js';
import { pollUntil } from './helpers/poll.js';
import { bucketOf } from './helpers/artifact.js';
import { writeTinyArtifact } from './helpers/handmade-artifact.js';
import { HOSTILE_TITLES, VISITOR_ARTIFACT } from './helpers/robust-models.js';
import { REPO_ROOT, startWorker, type StartedWorker } from './helpers/worker.js';
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from '../training/report/browser.js';

// Debian's chromium unless CHROMIUM_PATH says otherwise (the report's screenshot command reads the same variable).
const CHROMIUM = CHROMIUM_PATH;
const ARTIFACTS = path.join(REPO_ROOT, 'test/artifacts');
const STEP_MS = 15_000;

function hostPage(workerOrigin: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A shop that embeds edgerec</title>
<style>body{font:16px system-ui,sans-serif;margin:24px;background:#f4f1ea;color:#222}.row{display:flex;gap:24px;align-items:flex-start}</style>
</head><body>
<h1>Host page on another origin</h1>
<div class="row">
  <div id="similar" data-edgerec-model="hostile" data-edgerec-item="1" data-edgerec-k="7"></div>
  <div id="for-user" data-edgerec-model="hostile" data-edgerec-user="u2" data-edgerec-k="5" data-edgerec-theme="dark"></div>
</div>
<script>window.__alerts = []; window.alert = function (m) { window.__alerts.push(String(m)); };</script>
<script async src="${workerOrigin}/embed.js"></script>
</body></html>`;
}

/** A page of the host shop: `body` plus embed.js from the Worker (`before` runs first, e.g. to break localStorage). */
function shopPage(workerOrigin: string, body: string, before = ''): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A shop that embeds edgerec</title></head><body>
${before ? `<script>${before}</script>` : ''}${body}
<script async src="${workerOrigin}/embed.js"></script>
</body></html>`;
}

const HISTORY = '<div id="history" data-edgerec-model="visit" data-edgerec-history="local" data-edgerec-k="3"></div>';
const PAGES: Record<string, (workerOrigin: string) => string> = {
  '/history': (o) => shopPage(o, HISTORY),
  // A browser (or a privacy setting) that refuses storage: reading localStorage throws.
  '/no-storage': (o) => shopPage(o, HISTORY, "Object.defineProperty(window, 'localStorage', { get: function () { throw new DOMException('denied', 'SecurityError'); } });"),
  '/beacons': (o) =>
    shopPage(o, '<div id="ev" data-edgerec-model="visit" data-edgerec-item="1" data-edgerec-k="3" data-edgerec-visitor="v-42"></div><div id="quiet" data-edgerec-model="visit" data-edgerec-item="2" data-edgerec-k="2" data-edgerec-visitor="v-quiet" data-edgerec-events="off"></div>'),
  '/broken': (o) =>
    shopPage(o, '<div id="no-model" data-edgerec-model="nope" data-edgerec-item="1"></div><div id="no-item" data-edgerec-model="visit" data-edgerec-item="nope" data-edgerec-k="2"></div>'),
};

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('the widget in a real browser (chromium, embed.js from another origin)', () => {
  let worker: StartedWorker;
  let workerOrigin: string;
  let host: Server;
  let hostOrigin: string;
  let userDataDir: string;
  let context: BrowserContext | undefined;
  const dialogs: string[] = [];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does this)`);
    const [started, dir, visitDir] = await Promise.all([
      // A short batch wait, so the events test sees its beacons stored without waiting the 5 s of wrangler.toml.
      startWorker({ queueConsumer: { maxBatchTimeout: 0.2 } }),
      writeTinyArtifact({ titles: HOSTILE_TITLES, users: ['u0', 'u1', 'u2'], seen: [[], [], [2]] }),
      writeTinyArtifact(VISITOR_ARTIFACT),
    ]);
    worker = started;
    await publishArtifact(bucketOf(worker.bucket), dir, 'hostile');
    await publishArtifact(bucketOf(worker.bucket), visitDir, 'visit');
    // Miniflare listens on loopback; ready resolves to its URL.
    workerOrigin = new URL(await worker.mf.ready).origin;
    host = createServer((req, res) => {
      if (req.url === '/') res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(hostPage(workerOrigin));
      else if (req.url! in PAGES) res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(PAGES[req.url!](workerOrigin));
      // The browser asks for one on its own; a 404 would show up as a console error.
      else if (req.url === '/favicon.ico') res.writeHead(204).end();
      else res.writeHead(404).end();
    });
    hostOrigin = await listen(host);
    userDataDir = await mkdtemp(path.join(tmpdir(), 'edgerec-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1000, height: 560 },
      timeout: 30_000,
    });
    context.setDefaultTimeout(STEP_MS);
  }, 90_000);

  afterAll(async () => {
    // Each step on its own: a failure in one must not leave the browser or a server running.
    await context?.close().catch(() => {});
    await new Promise<void>((resolve) => (host ? host.close(() => resolve()) : resolve()));
    await worker?.dispose();
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  });

  const titlesFromJson = async (p: string) =>
    ((await (await worker.fetch(p)).json()) as { results: { title: string }[] }).results.map((r) => r.title);

  it('renders both widgets with exactly the titles (and order) of the JSON answers; nothing in the titles runs', async () => {
    expect(workerOrigin).not.toBe(hostOrigin);
    const page = await context!.newPage();
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(`${m.text()} (${m.location().url})`);
    });
    await page.goto(`${hostOrigin}/`, { waitUntil: 'load' });
    await page.waitForSelector('#similar[data-edgerec-state="ready"]');
    await page.waitForSelector('#for-user[data-edgerec-state="ready"]');

    const similar = await page.$$eval('#similar ol > li > a', (as) => as.map((a) => a.textContent));
    const forUser = await page.$$eval('#for-user ol > li > a', (as) => as.map((a) => a.textContent));
    expect(similar).toEqual(await titlesFromJson('/v1/models/hostile/items/1/similar?k=7'));
    expect(forUser).toEqual(await titlesFromJson('/v1/models/hostile/users/u2/recommendations?k=5'));
    expect(similar).toEqual(HOSTILE_TITLES.slice(1));

    // The titles are text: no element, handler or script came out of them.
    expect(await page.$$('#similar script, #similar img, #similar b, #for-user script, #for-user img')).toHaveLength(0);
    expect(await page.evaluate(() => (window as unknown as { __alerts: string[] }).__alerts)).toEqual([]);
    expect(dialogs).toEqual([]);

    // Accessibility as the browser computes it: a named region, a heading, a list of links.
    const a11y = await page.$eval('#similar section', (s) => ({
      label: s.getAttribute('aria-label'),
      heading: s.querySelector('h2')?.textContent,
      listRole: s.querySelector('ol')?.getAttribute('role'),
      theme: getComputedStyle(s).backgroundColor,
    }));
    expect(a11y).toEqual({
      label: 'Similar to <script>alert("x")</script>',
      heading: 'Similar to <script>alert("x")</script>',
      listRole: 'list',
      theme: 'rgb(255, 255, 255)',
    });
    expect(await page.$eval('#for-user section', (s) => getComputedStyle(s).backgroundColor)).toBe('rgb(31, 31, 31)');

    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'browser-widget.png'), fullPage: true });

    // Keyboard: Tab reaches the first item link; Enter swaps in that item's widget and focus lands on its heading.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-edgerec-item'))).toBe('2');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#similar[data-edgerec-item="2"][data-edgerec-state="ready"] h2');
    await page.waitForFunction(() => document.activeElement?.tagName === 'H2');
    expect(await page.$eval('#similar h2', (h) => h.textContent)).toBe(`Similar to ${HOSTILE_TITLES[1]}`);
    expect(await page.$$eval('#similar ol > li > a', (as) => as.map((a) => a.textContent))).toEqual(
      await titlesFromJson('/v1/models/hostile/items/2/similar?k=7'),
    );
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it("history on: viewed() and clicks fill localStorage (most recent first); the next visit asks ?items= and leaves them out", async () => {
    const page = await context!.newPage();
    const asked: string[] = [];
    page.on('request', (r) => {
      if (r.url().startsWith(`${workerOrigin}/widget/`)) asked.push(r.url().slice(workerOrigin.length));
    });
    const stored = (model = 'visit') => page.evaluate((m) => localStorage.getItem(`edgerec:history:${m}`), model);
    const titles = () => page.$$eval('#history ol > li > a', (as) => as.map((a) => a.textContent));
    const heading = () => page.$eval('#history h2', (h) => h.textContent);
    await page.goto(`${hostOrigin}/history`, { waitUntil: 'load' });
    await page.waitForSelector('#history[data-edgerec-state="ready"]');
    // No history yet: the popular list (items 5, 2, 7 by training interactions).
    expect(asked).toEqual(['/widget/visit/popular?k=3']);
    expect(await heading()).toBe('Popular');
    expect(await titles()).toEqual([HOSTILE_TITLES[4], HOSTILE_TITLES[1], HOSTILE_TITLES[6]]);
    expect(await stored()).toBeNull();

    // The page records the item it shows; then the visitor clicks the first recommendation ("5").
    await page.evaluate(() => (window as unknown as { edgerec: { viewed(id: string, model?: string): void } }).edgerec.viewed('8'));
    expect(await stored()).toBe('["8"]');
    await page.click('#history a[data-edgerec-item="5"]');
    await page.waitForSelector('#history[data-edgerec-item="5"][data-edgerec-state="ready"]');
    expect(await stored()).toBe('["5","8"]');
    expect(await heading()).toBe(`Similar to ${HOSTILE_TITLES[4]}`);
    // Viewing one again moves it to the front, once; a model argument keeps another model's history apart.
    await page.evaluate(() => {
      const e = (window as unknown as { edgerec: { viewed(id: string, model?: string): void } }).edgerec;
      e.viewed('8');
      e.viewed('1', 'other-model');
    });
    expect(await stored()).toBe('["8","5"]');
    expect(await stored('other-model')).toBe('["1"]');

    // The next page view: recommendations for that history, without the two items.
    asked.length = 0;
    await page.reload({ waitUntil: 'load' });
    await page.waitForSelector('#history[data-edgerec-state="ready"]');
    expect(asked).toEqual(['/widget/visit/recommendations?items=8,5&k=3']);
    // Worked out on the Node side (test/worker-widget.test.ts checks the route against it): 8 and 5's neighbours.
    expect(await heading()).toBe(`Because you viewed ${HOSTILE_TITLES[4]}`);
    expect(await titles()).toEqual([HOSTILE_TITLES[6], HOSTILE_TITLES[5], HOSTILE_TITLES[3]]);
    expect(await page.$$eval('#history ol > li > a', (as) => as.map((a) => a.getAttribute('data-edgerec-item')))).toEqual(['7', '6', '4']);

    // Twenty at most; garbage in the key is dropped, not fatal.
    await page.evaluate(() => {
      const e = (window as unknown as { edgerec: { viewed(id: string): void } }).edgerec;
      for (let i = 1; i <= 25; i++) e.viewed(`old${i}`);
    });
    expect(JSON.parse((await stored())!)).toEqual(Array.from({ length: 20 }, (_, i) => `old${25 - i}`));
    await page.evaluate(() => localStorage.setItem('edgerec:history:visit', '{"not": "a list"'));
    asked.length = 0;
    await page.reload({ waitUntil: 'load' });
    await page.waitForSelector('#history[data-edgerec-state="ready"]');
    expect(asked).toEqual(['/widget/visit/popular?k=3']);
    await page.evaluate(() => (window as unknown as { edgerec: { viewed(id: string): void } }).edgerec.viewed('3'));
    expect(await stored()).toBe('["3"]');
    await page.evaluate(() => localStorage.setItem('edgerec:history:visit', JSON.stringify(['2', 7, null, '2', {}, 'x'.repeat(300), '4'])));
    asked.length = 0;
    await page.reload({ waitUntil: 'load' });
    await page.waitForSelector('#history[data-edgerec-state="ready"]');
    expect(asked).toEqual(['/widget/visit/recommendations?items=2,4&k=3']);
    await page.close();
  });

  it('events: a shown widget sends one impression per item and a followed link a click (sendBeacon, the page\'s visitor id); events="off" sends none', async () => {
    const page = await context!.newPage();
    const asked: string[] = [];
    page.on('request', (r) => {
      if (r.url().startsWith(`${workerOrigin}/widget/`)) asked.push(r.url().slice(workerOrigin.length));
    });
    await page.goto(`${hostOrigin}/beacons`, { waitUntil: 'load' });
    await page.waitForSelector('#ev[data-edgerec-state="ready"]');
    await page.waitForSelector('#quiet[data-edgerec-state="ready"]');
    // The visitor id goes to the widget too: under a split it picks the variant.
    expect(asked.sort()).toEqual(['/widget/visit/items/1?k=3&visitor=v-42', '/widget/visit/items/2?k=2&visitor=v-quiet']);
    const first = await page.$$eval('#ev ol > li > a', (as) => as.map((a) => a.getAttribute('data-edgerec-item')!));
    await page.click(`#ev a[data-edgerec-item="${first[0]}"]`);
    await page.waitForSelector(`#ev[data-edgerec-item="${first[0]}"][data-edgerec-state="ready"]`);
    const second = await page.$$eval('#ev ol > li > a', (as) => as.map((a) => a.getAttribute('data-edgerec-item')!));
    const mine = async () => (await readEvents(bucketOverR2(worker.events!), 'visit')).events.filter((e) => e.visitor === 'v-42' || e.visitor === 'v-quiet');
    const seen = await pollUntil('7 events of v-42 stored', mine, (e) => e.length >= 7);
    const events = seen[seen.length - 1];
    expect(events.filter((e) => e.visitor === 'v-quiet')).toEqual([]);
    const of = (type: string) => events.filter((e) => e.type === type).map((e) => e.item).sort();
    expect(of('impression')).toEqual([...first, ...second].sort());
    expect(of('click')).toEqual([first[0]]);
    for (const e of events) expect(e).toMatchObject({ model: 'visit', visitor: 'v-42' });
    expect(events.some((e) => 'variant' in e)).toBe(false);
    await page.close();
  });

  it('without localStorage (it throws): the history widget shows the popular list, viewed() and clicks do not break', async () => {
    const page = await context!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${hostOrigin}/no-storage`, { waitUntil: 'load' });
    await page.waitForSelector('#history[data-edgerec-state="ready"]');
    expect(await page.$eval('#history h2', (h) => h.textContent)).toBe('Popular');
    await page.evaluate(() => (window as unknown as { edgerec: { viewed(id: string): void } }).edgerec.viewed('8'));
    await page.click('#history a[data-edgerec-item="2"]');
    await page.waitForSelector('#history[data-edgerec-item="2"][data-edgerec-state="ready"]');
    expect(await page.$eval('#history h2', (h) => h.textContent)).toBe(`Similar to ${HOSTILE_TITLES[1]}`);
    // Nothing could be kept: the next page view is the popular list again.
    await page.reload({ waitUntil: 'load' });
    await page.waitForSelector('#history[data-edgerec-state="ready"]');
    expect(await page.$eval('#history h2', (h) => h.textContent)).toBe('Popular');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a widget that cannot be fetched is never blank: the popular widget, else a line of text; state and error stay for the developer', async () => {
    const page = await context!.newPage();
    await page.goto(`${hostOrigin}/broken`, { waitUntil: 'load' });
    // An unknown model: its widget and its popular list are both 404s, so the text fallback.
    await page.waitForSelector('#no-model[data-edgerec-fallback="text"]');
    const noModel = await page.$eval('#no-model', (el) => ({
      state: el.getAttribute('data-edgerec-state'),
      error: el.getAttribute('data-edgerec-error'),
      busy: el.getAttribute('aria-busy'),
      html: el.innerHTML,
      height: el.getBoundingClientRect().height,
    }));
    expect(noModel).toMatchObject({
      state: 'error',
      error: `GET ${workerOrigin}/widget/nope/items/1 answered 404; GET ${workerOrigin}/widget/nope/popular answered 404`,
      busy: null,
      html: '<p class="edgerec-fallback">Recommendations are unavailable right now.</p>',
    });
    expect(noModel.height).toBeGreaterThan(10);
    // A known model, an unknown item: the model's popular widget, still marked as an error.
    await page.waitForSelector('#no-item[data-edgerec-fallback="popular"]');
    expect(await page.$eval('#no-item', (el) => [el.getAttribute('data-edgerec-state'), el.getAttribute('data-edgerec-error')])).toEqual([
      'error',
      `GET ${workerOrigin}/widget/visit/items/nope?k=2 answered 404`,
    ]);
    expect(await page.$eval('#no-item h2', (h) => h.textContent)).toBe('Popular');
    expect(await page.$$eval('#no-item ol > li > a', (as) => as.map((a) => a.textContent))).toEqual([HOSTILE_TITLES[4], HOSTILE_TITLES[1]]);
    await page.close();
  });
});
