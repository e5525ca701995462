import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WIDGET_MARKUP_VERSION } from '../functions/widget/render.js';
import { versionEtag } from '../shared/etag.js';
import { explain } from '../shared/model/explain.js';
import { foldInImplicit } from '../shared/model/foldin.js';
import { loadModel, type LoadedModel } from '../shared/model/loaded.js';
import { popularItems } from '../shared/model/popular.js';
import { recommendForVector } from '../shared/model/queries.js';
import { readArtifact } from '../training/export/artifact-files.js';
import { publishArtifact } from '../training/publish/publish.js';
import { useWasmBackend } from '../training/tf-node.js';
import { bucketOf } from './helpers/artifact.js';
import { writeTinyArtifact } from './helpers/handmade-artifact.js';
import { HOSTILE_TITLES, VISITOR_ARTIFACT, VISITOR_POPULAR } from './helpers/robust-models.js';
import { pollUntil } from './helpers/poll.js';
import { startWorker, type StartedWorker } from './helpers/worker.js';

// Ids are hostile too: they land in href and data- attributes and in URL paths.
const IDS = ['1', '2', '3', '4', '5', '6', '7', 'x"><b>&y'];
// u2 has seen item index 2; u3 has seen everything, so nothing is left to recommend.
const USERS = ['u0', 'u1', 'u2', 'u3'];
const SEEN = [[], [], [2], [0, 1, 2, 3, 4, 5, 6, 7]];
// "visit" folds visitors in; its popular order, by training interactions then index, is VISIT_POPULAR.
const VISIT_POPULAR = VISITOR_POPULAR;

/** The five entities hono/html writes, decoded; anything else in the text would be a bug. */
function unescapeHtml(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!);
}

interface Answer {
  version: string;
  results: { id: string; title: string }[];
}

/** The widget's items: [data-edgerec-item, href, title], in document order, unescaped. */
function widgetItems(html: string): { id: string; href: string; title: string }[] {
  const li = [...html.matchAll(/<li><a href="([^"]*)" data-edgerec-item="([^"]*)">([^<]*)<\/a><\/li>/g)];
  return li.map((m) => ({ href: unescapeHtml(m[1]), id: unescapeHtml(m[2]), title: unescapeHtml(m[3]) }));
}

describe('the embeddable widget (GET /widget/...) and /embed.js', () => {
  let worker: StartedWorker;
  let dirs: string[];
  let version: string;
  let visitDir: string;
  let visitVersion: string;
  /** "visit" loaded in Node: the golden side of the visitor widget. */
  let visit: LoadedModel;

  beforeAll(async () => {
    [worker, visitDir, ...dirs] = await Promise.all([
      startWorker({ bindings: { CURRENT_TTL_SECONDS: '0' } }),
      writeTinyArtifact(VISITOR_ARTIFACT),
      writeTinyArtifact({ titles: HOSTILE_TITLES, ids: IDS, users: USERS, seen: SEEN, createdAt: '2026-11-01T00:00:00.000Z' }),
      writeTinyArtifact({ titles: HOSTILE_TITLES, ids: IDS, users: USERS, seen: SEEN, createdAt: '2026-11-02T00:00:00.000Z' }),
    ]);
    version = (await publishArtifact(bucketOf(worker.bucket), dirs[0], 'hostile')).version;
    visitVersion = (await publishArtifact(bucketOf(worker.bucket), visitDir, 'visit')).version;
    await useWasmBackend();
    visit = loadModel('visit', visitVersion, await readArtifact(visitDir));
  });
  afterAll(async () => {
    visit?.dispose();
    await worker?.dispose();
  });

  const json = async (p: string) => (await (await worker.fetch(p)).json()) as Answer;

  it('similar items: a labelled region, a heading, an ordered list with list semantics; items as the JSON route answers', async () => {
    const res = await worker.fetch('/widget/hostile/items/1?k=7');
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    const heading = 'Similar to &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;';
    // The version that answered is on the section, for embed.js's events (and, under a split, the variant).
    expect(html.startsWith(`<section class="edgerec" data-edgerec-version="${version}" aria-label="${heading}"><style>`)).toBe(true);
    expect(html).toContain(`</style><h2 tabindex="-1">${heading}</h2><ol role="list"><li>`);
    expect(html.endsWith('</li></ol></section>')).toBe(true);
    const items = widgetItems(html);
    // Item 1 sits at the end of the arc: its neighbours are 2, 3, ... in order (test/helpers/tiny-artifact.ts).
    expect(items.map((i) => i.id)).toEqual(IDS.slice(1));
    expect(items.map((i) => i.title)).toEqual(HOSTILE_TITLES.slice(1));
    const answer = await json('/v1/models/hostile/items/1/similar?k=7');
    expect(items.map((i) => [i.id, i.title])).toEqual(answer.results.map((r) => [r.id, r.title]));
    // Each item links to its own widget on the same origin, keeping k; the id is percent-encoded in the path.
    expect(items[6].href).toBe('http://localhost/widget/hostile/items/x%22%3E%3Cb%3E%26y?k=7');
    expect(items[0].href).toBe('http://localhost/widget/hostile/items/2?k=7');
  });

  it('escapes every title and id: no markup from the data survives, non-Latin text is byte-exact UTF-8', async () => {
    const res = await worker.fetch(`/widget/hostile/items/${encodeURIComponent(IDS[7])}?k=7`);
    expect(res.status).toBe(200);
    const html = await res.text();
    // The only tags are the widget's own.
    expect([...new Set([...html.matchAll(/<\/?([a-zA-Z0-9]+)/g)].map((m) => m[1]))].sort()).toEqual(['a', 'h2', 'li', 'ol', 'section', 'style']);
    expect(html).not.toMatch(/<script|<img|<b>|onerror=alert\(1\)>/);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('Tom &amp; Jerry &quot;The Movie&quot;');
    expect(html).toContain('It&#39;s &lt;b&gt;bold&lt;/b&gt; &amp; &#39;quoted&#39;');
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('>千と千尋の神隠し<');
    expect(html).toContain('>Амели<');
    expect(html).toContain('>مرحبا بالعالم<');
    const fromItem1 = await (await worker.fetch('/widget/hostile/items/1?k=7')).text();
    expect(fromItem1).toContain('<a href="http://localhost/widget/hostile/items/x%22%3E%3Cb%3E%26y?k=7" data-edgerec-item="x&quot;&gt;&lt;b&gt;&amp;y">');
    expect(fromItem1).not.toContain('<b>');
    // The item with the hostile id: its heading names its title.
    expect(html).toContain('aria-label="Similar to Plain Title (1995)"');
    expect(widgetItems(html).map((i) => i.title)).toEqual((await json('/v1/models/hostile/items/x%22%3E%3Cb%3E%26y/similar?k=7')).results.map((r) => r.title));
  });

  it('recommendations for a user equal the JSON route (seen items excluded); theme=dark is marked', async () => {
    const html = await (await worker.fetch('/widget/hostile/users/u2?k=5&theme=dark')).text();
    expect(html.startsWith(`<section class="edgerec" data-theme="dark" data-edgerec-version="${version}" aria-label="Recommended for you">`)).toBe(true);
    const items = widgetItems(html);
    const answer = await json('/v1/models/hostile/users/u2/recommendations?k=5');
    expect(items.map((i) => i.id)).toEqual(answer.results.map((r) => r.id));
    // User 2 points at item index 2 ("3"), which it has seen: next come 2 and 4 (index 1, 3), then 1 and 5.
    expect(items.map((i) => i.id)).toEqual(['2', '4', '1', '5', '6']);
    expect(items[0].href).toBe('http://localhost/widget/hostile/items/2?k=5&theme=dark');
  });

  it('a user with nothing left to recommend gets a short note instead of an empty list', async () => {
    expect((await json('/v1/models/hostile/users/u3/recommendations')).results).toEqual([]);
    const html = await (await worker.fetch('/widget/hostile/users/u3')).text();
    expect(html).toContain('<h2 tabindex="-1">Recommended for you</h2><p class="edgerec-empty">No recommendations yet.</p></section>');
    expect(html).not.toContain('<ol');
  });

  it('stays under 10 KB: at the default k here, and at the widget maximum k=30 with 30 MovieLens-length titles', async () => {
    const bytes = async (p: string) => (await (await worker.fetch(p)).arrayBuffer()).byteLength;
    expect(await bytes('/widget/hostile/items/1')).toBeGreaterThan(1500);
    expect(await bytes('/widget/hostile/items/1')).toBeLessThan(10 * 1024);
    // The longest title in MovieLens 100K has 81 characters.
    const titles = Array.from({ length: 31 }, (_, i) => `${'Long Title '.repeat(7)}${String(i).padStart(3, '0')} (1995)`);
    expect(titles[0].length).toBe(87);
    await publishArtifact(bucketOf(worker.bucket), await writeTinyArtifact({ titles }), 'long');
    const html = await (await worker.fetch('/widget/long/items/1?k=30')).text();
    expect(widgetItems(html)).toHaveLength(30);
    expect(new TextEncoder().encode(html).byteLength).toBeLessThan(10 * 1024);
    const tooMany = await worker.fetch('/widget/long/items/1?k=31');
    expect(tooMany.status).toBe(400);
    expect(((await tooMany.json()) as { error: { code: string; message: string } }).error).toEqual({
      code: 'bad_k',
      message: 'k must be an integer from 1 to 30 for the widget, got 31: use the JSON API for longer lists',
    });
  });

  it('sends security headers: CSP that allows only the inline style, nosniff, CORP cross-origin, no-referrer, framing allowed', async () => {
    const res = await worker.fetch('/widget/hostile/items/2');
    await res.arrayBuffer();
    expect(res.headers.get('Content-Security-Policy')).toBe(
      "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors *",
    );
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(res.headers.get('Cross-Origin-Resource-Policy')).toBe('cross-origin');
    expect(res.headers.get('Referrer-Policy')).toBe('no-referrer');
    expect(res.headers.get('Strict-Transport-Security')).toBe('max-age=15552000; includeSubDomains');
    expect(res.headers.get('X-Frame-Options')).toBeNull();
  });

  /** Asks until the Cache API has the entry (the put runs in waitUntil, after the answer): at most ~2 s. */
  async function untilHit(p: string) {
    for (let attempt = 0; attempt < 40; attempt++) {
      const res = await worker.fetch(p);
      const body = await res.text();
      if (res.headers.get('X-Edgerec-Cache') === 'hit') return { res, body };
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${p} never came from the Cache API`);
  }

  it('Cache API: the first request renders (miss), the next one comes from caches.default (hit) with the same body and tags', async () => {
    const p = '/widget/hostile/items/3?k=4&utm_source=mail';
    const first = await worker.fetch(p);
    const body = await first.text();
    expect(first.headers.get('X-Edgerec-Cache')).toBe('miss');
    const { res: hit, body: hitBody } = await untilHit(p);
    expect(hitBody).toBe(body);
    expect(hit.headers.get('ETag')).toBe(first.headers.get('ETag'));
    expect(hit.headers.get('Cache-Control')).toBe(first.headers.get('Cache-Control'));
    expect(hit.headers.get('Content-Security-Policy')).toBe(first.headers.get('Content-Security-Policy'));
    // Tracking parameters and their order do not split the cache; k does.
    expect((await worker.fetch('/widget/hostile/items/3?k=4')).headers.get('X-Edgerec-Cache')).toBe('hit');
    const other = await worker.fetch('/widget/hostile/items/3?k=5');
    await other.arrayBuffer();
    expect(other.headers.get('X-Edgerec-Cache')).toBe('miss');
    // A hit revalidates like any answer.
    const revalidated = await worker.fetch(p, { headers: { 'If-None-Match': first.headers.get('ETag')! } });
    expect(revalidated.status).toBe(304);
    expect(await revalidated.text()).toBe('');
  });

  it('a hit is served without rendering: it keeps the old version until s-maxage, while the JSON route moves on', async () => {
    const p = '/widget/hostile/items/4';
    const { res: before } = await untilHit(p);
    const v2 = (await publishArtifact(bucketOf(worker.bucket), dirs[1], 'hostile')).version;
    // The JSON route moves on once the background load of v2 is done (it answers from the old version until then).
    await pollUntil('v2 answering', () => json('/v1/models/hostile/items/4/similar'), (a) => a.version === v2);
    const after = await worker.fetch(p);
    await after.arrayBuffer();
    expect(after.headers.get('X-Edgerec-Cache')).toBe('hit');
    const tag = (v: string, search: string) => versionEtag({ version: v, method: 'GET', path: '/widget/hostile/items/4', search, salt: WIDGET_MARKUP_VERSION });
    expect(before.headers.get('ETag')).toBe(tag(version, '?k=10'));
    expect(after.headers.get('ETag')).toBe(tag(version, '?k=10'));
    // A URL not cached yet renders from the new version.
    const fresh = await worker.fetch('/widget/hostile/items/4?theme=light');
    await fresh.arrayBuffer();
    expect(fresh.headers.get('X-Edgerec-Cache')).toBe('miss');
    expect(fresh.headers.get('ETag')).toBe(tag(v2, '?k=10&theme=light'));
  });

  describe('never blank: the popular list', () => {
    const shown = async (p: string) => {
      const res = await worker.fetch(p);
      expect([p, res.status]).toEqual([p, 200]);
      const html = await res.text();
      return { heading: /<h2 tabindex="-1">([^<]*)<\/h2>/.exec(html)?.[1], ids: widgetItems(html).map((i) => i.id), html, res };
    };

    it('a user the model does not know gets "Popular": items by training interactions, ties by index', async () => {
      expect(popularItems(visit, 8).map((s) => visit.items.ids[s.index])).toEqual(VISIT_POPULAR);
      expect(await shown('/widget/visit/users/nobody?k=8')).toMatchObject({ heading: 'Popular', ids: VISIT_POPULAR });
      // "hostile": item index 2 ("3") has two interactions, every other one.
      expect(await shown('/widget/hostile/users/nobody')).toMatchObject({ heading: 'Popular', ids: ['3', '1', '2', '4', '5', '6', '7', 'x"><b>&y'] });
      // Links are the items' own widgets, as everywhere.
      expect(widgetItems((await shown('/widget/visit/users/nobody?k=2&theme=dark')).html).map((i) => i.href)).toEqual([
        'http://localhost/widget/visit/items/5?k=2&theme=dark',
        'http://localhost/widget/visit/items/2?k=2&theme=dark',
      ]);
      // A known user keeps their own list (u2 points at "3" and has seen "2").
      expect(await shown('/widget/visit/users/u2?k=3')).toMatchObject({ heading: 'Recommended for you', ids: ['3', '4', '1'] });
    });

    it('GET /widget/:model/popular: the same list, k and theme as the other widgets', async () => {
      const { heading, ids, html } = await shown('/widget/visit/popular?k=3&theme=light');
      expect({ heading, ids }).toEqual({ heading: 'Popular', ids: VISIT_POPULAR.slice(0, 3) });
      expect(html.startsWith(`<section class="edgerec" data-theme="light" data-edgerec-version="${visitVersion}" aria-label="Popular"><style>`)).toBe(true);
    });
  });

  describe("a visitor's history: GET /widget/:model/recommendations?items=", () => {
    const answer = async (p: string) => {
      const res = await worker.fetch(p);
      const html = await res.text();
      expect([p, res.status, html.slice(0, 300)]).toEqual([p, 200, html.slice(0, 300)]);
      return { heading: /<h2 tabindex="-1">([^<]*)<\/h2>/.exec(html)?.[1], ids: widgetItems(html).map((i) => i.id), html, res };
    };
    /** What Node computes on the same artifact: fold in the known items (index order), rank without them, name the commonest closest one. */
    const golden = (ids: string[], k: number) => {
      const known = Int32Array.from(new Set(ids.filter((id) => visit.items.has(id)).map((id) => visit.items.indexOf(id, 'visit')))).sort();
      const results = recommendForVector(visit, foldInImplicit(visit, known), k, new Set(known));
      const top = explain(visit, known, results.map((r) => r.index), 1).map((r) => r[0]?.index);
      const count = (i: number | undefined) => top.filter((t) => t === i).length;
      const best = top.filter((t) => t !== undefined).reduce((b, t) => (count(t) > count(b) ? t : b), top.find((t) => t !== undefined));
      return { heading: `Because you viewed ${visit.itemMeta[best!].title}`, ids: results.map((r) => visit.items.ids[r.index]) };
    };
    const unescaped = (a: { heading?: string; ids: string[] }) => ({ heading: unescapeHtml(a.heading ?? ''), ids: a.ids });

    it('folds the visitor in from the items and leaves them out; the order and heading equal Node on the same artifact', async () => {
      // Worked out once (test/helpers/tiny-artifact.ts puts the items on an arc): viewing 3 and 4, their neighbours
      // 2 and 5 come first; 4 is the closest viewed item to three of the five.
      expect(unescaped(await answer('/widget/visit/recommendations?items=4,3&k=5'))).toEqual({
        heading: 'Because you viewed 千と千尋の神隠し',
        ids: ['2', '5', '1', '6', '7'],
      });
      for (const ids of [['4', '3'], ['1'], ['8'], ['7', '6'], ['1', '8'], ['2', '4', '6', '8'], ['1', '2', '3', '4', '5', '6', '7']]) {
        for (const k of [3, 10]) {
          const got = unescaped(await answer(`/widget/visit/recommendations?items=${ids.join(',')}&k=${k}`));
          expect([ids, k, got]).toEqual([ids, k, golden(ids, k)]);
          expect(got.ids.filter((id) => ids.includes(id))).toEqual([]);
        }
      }
      // The heading is escaped like every title: item 6's is hostile, and it is the closest to most of 6, 7's list.
      const hostile = await answer('/widget/visit/recommendations?items=6,7');
      expect(hostile.html).toContain('<h2 tabindex="-1">Because you viewed &quot;&gt;&lt;img src=x onerror=alert(1)&gt;</h2>');
      expect(hostile.html).not.toContain('<img');
    });

    it('ignores ids the model does not know; none known, an empty list, or a model that cannot fold in: "Popular" without the viewed items', async () => {
      expect((await answer('/widget/visit/recommendations?items=zz,4,old-id,3&k=5')).ids).toEqual(['2', '5', '1', '6', '7']);
      expect(await answer('/widget/visit/recommendations?items=zz,old-id')).toMatchObject({ heading: 'Popular', ids: VISIT_POPULAR });
      expect(await answer('/widget/visit/recommendations?items=')).toMatchObject({ heading: 'Popular', ids: VISIT_POPULAR });
      expect(await answer('/widget/visit/recommendations')).toMatchObject({ heading: 'Popular', ids: VISIT_POPULAR });
      // "hostile" has no manifest.foldin: the popular list, still without what the visitor viewed.
      expect(await answer('/widget/hostile/recommendations?items=3,nope,1')).toMatchObject({ heading: 'Popular', ids: ['2', '4', '5', '6', '7', 'x"><b>&y'] });
      // The whole catalogue viewed: nothing left, a note instead of an empty list.
      const all = await answer(`/widget/visit/recommendations?items=${VISIT_POPULAR.join(',')}`);
      expect(all.html).toContain('<p class="edgerec-empty">No recommendations yet.</p>');
    });

    it('at most 20 ids (more is a 400, not a silent cut); empty entries and malformed ids are 400s', async () => {
      const ids = (n: number) => Array.from({ length: n }, (_, i) => `old${i}`).join(',');
      expect(await answer(`/widget/visit/recommendations?items=${ids(20)}`)).toMatchObject({ heading: 'Popular' });
      for (const [p, code, message] of [
        [`/widget/visit/recommendations?items=${ids(21)}`, 'bad_items', "items lists at most 20 item ids (a visitor's most recent), got 21"],
        [`/widget/visit/recommendations?items=${ids(15)}&items=${ids(6)}`, 'bad_items', "items lists at most 20 item ids (a visitor's most recent), got 21"],
        ['/widget/visit/recommendations?items=1,,2', 'bad_items', 'items must be a comma-separated list of item ids without empty entries'],
        [`/widget/visit/recommendations?items=${'x'.repeat(257)}`, 'bad_item_id', `item id ${JSON.stringify('x'.repeat(80))} is malformed: ids are 1..256 printable characters`],
      ]) {
        const res = await worker.fetch(p);
        expect([p.slice(0, 60), res.status, res.headers.get('Cache-Control')]).toEqual([p.slice(0, 60), 400, 'no-store']);
        expect(((await res.json()) as { error: unknown }).error).toEqual({ code, message });
      }
    });

    it('cache key and ETag name the set of ids: order, duplicates and tracking parameters share one entry; another set does not', async () => {
      const p = '/widget/visit/recommendations?items=8,2&k=4';
      const first = await worker.fetch(p);
      const body = await first.text();
      expect(first.headers.get('X-Edgerec-Cache')).toBe('miss');
      const tag = versionEtag({ version: visitVersion, method: 'GET', path: '/widget/visit/recommendations', search: '?items=2,8&k=4', salt: WIDGET_MARKUP_VERSION });
      expect(first.headers.get('ETag')).toBe(tag);
      expect(first.headers.get('Cache-Control')).toBe('public, max-age=60, s-maxage=300, stale-while-revalidate=600');
      const { res: hit, body: hitBody } = await untilHit(p);
      expect(hitBody).toBe(body);
      expect(hit.headers.get('ETag')).toBe(tag);
      for (const same of ['/widget/visit/recommendations?k=4&items=2,8', '/widget/visit/recommendations?items=2,8,2&k=4&utm_source=mail', '/widget/visit/recommendations?items=8&items=2&k=4']) {
        const res = await worker.fetch(same);
        expect([same, res.headers.get('X-Edgerec-Cache'), res.headers.get('ETag'), await res.text()]).toEqual([same, 'hit', tag, body]);
      }
      // Another set, or another k, is another entry (with its own tag), even when the answer happens to be the same.
      for (const other of ['/widget/visit/recommendations?items=2&k=4', '/widget/visit/recommendations?items=2,8&k=5', '/widget/visit/recommendations?items=2,8,zz&k=4']) {
        const res = await worker.fetch(other);
        await res.arrayBuffer();
        expect([other, res.headers.get('X-Edgerec-Cache')]).toEqual([other, 'miss']);
        expect(res.headers.get('ETag')).not.toBe(tag);
      }
      // A known tag revalidates to 304, in any order of the ids.
      const revalidated = await worker.fetch('/widget/visit/recommendations?items=2,8&k=4', { headers: { 'If-None-Match': tag } });
      expect(revalidated.status).toBe(304);
      expect(await revalidated.text()).toBe('');
      // Popular and the unknown user's widget are cached by their own URLs too.
      const pop = await worker.fetch('/widget/visit/popular?k=2&utm_campaign=x');
      await pop.arrayBuffer();
      expect(pop.headers.get('ETag')).toBe(versionEtag({ version: visitVersion, method: 'GET', path: '/widget/visit/popular', search: '?k=2', salt: WIDGET_MARKUP_VERSION }));
      expect((await untilHit('/widget/visit/popular?k=2')).res.headers.get('ETag')).toBe(pop.headers.get('ETag'));
    });
  });

  it('bad input is a JSON error with no-store (and never cached): bad theme, bad k, unknown item or user', async () => {
    for (const [p, status, code] of [
      ['/widget/hostile/items/1?theme=blue', 400, 'bad_theme'],
      ['/widget/hostile/items/1?k=101', 400, 'bad_k'],
      ['/widget/hostile/items/nope', 404, 'unknown_item'],
      ['/widget/Bad%20Name/items/1', 400, 'bad_model_name'],
      ['/widget/nope/popular', 404, 'unknown_model'],
      ['/widget/nope/users/u1', 404, 'unknown_model'],
      ['/widget/nope/recommendations?items=1', 404, 'unknown_model'],
      ['/widget/visit/popular?k=31', 400, 'bad_k'],
      ['/widget/visit/recommendations?items=1&theme=blue', 400, 'bad_theme'],
    ] as const) {
      const res = await worker.fetch(p);
      expect([p, res.status]).toEqual([p, status]);
      expect(res.headers.get('Cache-Control')).toBe('no-store');
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
    }
  });

  it('GET /embed.js: JavaScript under 5 KB that parses, cacheable, loadable cross-origin', async () => {
    const res = await worker.fetch('/embed.js', { headers: { Origin: 'https://shop.example' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('Cross-Origin-Resource-Policy')).toBe('cross-origin');
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe('*');
    expect(res.headers.get('Cache-Control')).toBe('public, max-age=60, s-maxage=300, stale-while-revalidate=600');
    const script = await res.text();
    // 5 KB since the event beacons (README, "Events in"); it was 4 KB before them.
    expect(new TextEncoder().encode(script).byteLength).toBeLessThan(5 * 1024);
    expect(() => new Function(script)).not.toThrow();
    expect(script).toContain('document.currentScript');
    const again = await worker.fetch('/embed.js', { headers: { 'If-None-Match': res.headers.get('ETag')! } });
    expect(again.status).toBe(304);
  });
});
