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
import { publishArtifact } from '../training/publish/publish.js';
import { bucketOf } from './helpers/artifact.js';
import { HOSTILE_TITLES, writeTinyArtifact } from './helpers/tiny-artifact.js';
import { REPO_ROOT, startWorker, type StartedWorker } from './helpers/worker.js';
import { CHROMIUM_FLAGS } from '../training/report/browser.js';

const CHROMIUM = '/usr/bin/chromium';
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
    const [started, dir] = await Promise.all([
      startWorker(),
      writeTinyArtifact({ titles: HOSTILE_TITLES, users: ['u0', 'u1', 'u2'], seen: [[], [], [2]] }),
    ]);
    worker = started;
    await publishArtifact(bucketOf(worker.bucket), dir, 'hostile');
    // Miniflare listens on loopback; ready resolves to its URL.
    workerOrigin = new URL(await worker.mf.ready).origin;
    host = createServer((req, res) => {
      if (req.url === '/') res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(hostPage(workerOrigin));
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
});
