// GET /openapi.json as a contract: every route's real answer, from the real Worker in workerd, validates against the
// schema the document publishes (ajv, JSON Schema 2020-12); the document passes Redocly's recommended lint; and
// openapi-typescript, run on it, types every JSON answer (none is `unknown`).
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as answers from '../shared/api/answers.js';
import type { Schema } from '../shared/api/schema.js';
import { startApiWorker, type ApiWorker } from './helpers/api-worker.js';
import { publishedAnswers, publishedError, type PublishedAnswer, type PublishedDoc } from './helpers/openapi-answers.js';
import { REPO_ROOT } from './helpers/worker.js';

type Doc = PublishedDoc;
type Operation = Doc['paths'][string][string];

/**
 * Requests with a real answer, by operationId; several per route where an answer has shapes or optional parts
 * (filters echoed, explain, fallback, fit). The test insists that every operation of the document has one.
 */
const CASES: Record<string, { path: string; body?: unknown }[]> = {
  health: [{ path: '/healthz' }, { path: '/healthz?tfjs' }],
  openApi: [{ path: '/openapi.json' }],
  listModels: [{ path: '/v1/models' }],
  similarItems: [{ path: '/v1/models/games/items/aom/similar?k=3' }, { path: '/v1/models/games/items/aom/similar?k=2&genre=Strategy&exclude=gs' }],
  predictRating: [{ path: '/v1/models/games/users/u1/items/aom/rating' }],
  recommendForUser: [
    { path: '/v1/models/games/users/u1/recommendations?k=3' },
    { path: '/v1/models/games/users/u2/recommendations?k=2&explain=true&tag=Fantasy' },
    { path: '/v1/models/games/users/nobody/recommendations?k=2' },
  ],
  recommendForVisitor: [{ path: '/v1/models/games/recommendations?items=aom,fq&k=3' }, { path: '/v1/models/games/recommendations?items=aom&k=2&explain=true' }],
  recommendForRatings: [{ path: '/v1/models/games/recommendations/for-ratings', body: { ratings: [['aom', 5], ['fm', 1]], k: 3, explain: true } }],
  popularItems: [{ path: '/v1/models/games/popular?k=3' }, { path: '/v1/models/games/popular?k=2&tag=War' }],
  similarTags: [{ path: '/v1/models/games/tags/War/similar?k=2' }],
  itemTagArithmetic: [{ path: '/v1/models/games/items/similar', body: { item: 'aom', minus: ['Fantasy'], k: 3 } }],
  recommendFromExamples: [
    { path: '/v1/models/games/recommendations/from-examples', body: { liked: ['aom', 'gs'], disliked: ['fm'], k: 2 } },
    { path: '/v1/models/games/recommendations/from-examples', body: { liked: ['aom'], k: 2 } },
  ],
  predictRatings: [{ path: '/v1/models/games/predict', body: { pairs: [['u1', 'aom'], ['u2', 'fm']] } }],
  postEvents: [{ path: '/v1/events', body: { events: [{ type: 'click', model: 'games', item: 'aom', visitor: 'v-1', value: 2 }] } }],
  widgetSimilarItems: [{ path: '/widget/games/items/aom?k=3' }],
  widgetRecommendations: [{ path: '/widget/games/users/u1?k=3' }],
  widgetPopular: [{ path: '/widget/games/popular?k=3' }],
  widgetVisitor: [{ path: '/widget/games/recommendations?items=aom' }],
  embedScript: [{ path: '/embed.js' }],
};

/** The in-code schema of each operation's answer (what the handler is typed by). */
const IN_CODE: Record<string, Schema<unknown>> = {
  health: answers.healthAnswer, openApi: answers.openApiAnswer, listModels: answers.modelsAnswer, similarItems: answers.similarItemsAnswer,
  predictRating: answers.ratingAnswer, recommendForUser: answers.userRecommendationsAnswer, recommendForVisitor: answers.visitorAnswer,
  recommendForRatings: answers.forRatingsAnswer, popularItems: answers.popularAnswer, similarTags: answers.similarTagsAnswer,
  itemTagArithmetic: answers.arithmeticAnswer, recommendFromExamples: answers.fromExamplesAnswer, predictRatings: answers.predictAnswer,
  postEvents: answers.eventsAnswer, widgetSimilarItems: answers.htmlAnswer, widgetRecommendations: answers.htmlAnswer,
  widgetPopular: answers.htmlAnswer, widgetVisitor: answers.htmlAnswer, embedScript: answers.scriptAnswer,
};

/** Refusals, each checked against the error response the operation documents for its status. */
const REFUSALS: { operationId: string; path: string; body?: unknown; status: number }[] = [
  { operationId: 'similarItems', path: '/v1/models/games/items/nothing/similar', status: 404 },
  { operationId: 'similarItems', path: '/v1/models/games/items/aom/similar?k=0', status: 400 },
  { operationId: 'predictRatings', path: '/v1/models/games/predict', body: { pairs: [] }, status: 400 },
  { operationId: 'postEvents', path: '/v1/events', body: { events: [{ type: 'click', model: 'nothing', item: 'x' }] }, status: 404 },
  { operationId: 'widgetSimilarItems', path: '/widget/nothing/items/aom', status: 404 },
  { operationId: 'recommendForVisitor', path: '/v1/models/broken/recommendations?items=aom', status: 503 },
];

describe('GET /openapi.json as the contract of every answer', () => {
  let api: ApiWorker;
  let doc: Doc;
  let answersOf: Map<string, PublishedAnswer>;
  const operations: { method: string; path: string; op: Operation }[] = [];

  beforeAll(async () => {
    api = await startApiWorker();
    // A second model whose manifest is not JSON: /v1/models lists it with `error`, a query is refused (503) and
    // /healthz then shows it with nothing live and the version it refused, so those shapes are checked too.
    await api.worker.bucket.put('broken/CURRENT', 'v-bad');
    await api.worker.bucket.put('broken/v-bad/manifest.json', 'not json');
    expect((await api.worker.fetch('/v1/models/broken/items/aom/similar')).status).toBe(503);
    doc = (await (await api.worker.fetch('/openapi.json')).json()) as Doc;
    for (const [path, byMethod] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(byMethod)) operations.push({ method, path, op });
    answersOf = publishedAnswers(doc);
  });
  afterAll(() => api?.dispose());

  const send = (path: string, body?: unknown) =>
    api.worker.fetch(path, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const byId = (id: string) => operations.find((o) => o.op.operationId === id)!;
  /** The success response the document publishes for an operation: its status, media type and schema check. */
  const success = (id: string) => answersOf.get(id)!;

  it('has a real request for every operation the document lists, and no request for one it does not', () => {
    expect(operations.length).toBe(19);
    expect(operations.map((o) => o.op.operationId).sort()).toEqual(Object.keys(CASES).sort());
  });

  it('the answers checked include the optional shapes: an unreadable model listed with its error, a refused version', async () => {
    const listed = (await (await send('/v1/models')).json()) as { models: { name: string; error?: string }[] };
    expect(listed.models.map((m) => [m.name, m.error])).toEqual([['broken', 'manifest of version v-bad is not valid JSON'], ['games', undefined]]);
    const health = (await (await send('/healthz')).json()) as { models: { model: string; version: string | null; refused?: { version: string } }[] };
    expect(health.models.find((m) => m.model === 'broken')).toMatchObject({ version: null, refused: { version: 'v-bad' } });
  });

  it('every answer validates against the published schema of its route (status, media type and body), and the in-code one reads it back unchanged', async () => {
    for (const [id, requests] of Object.entries(CASES)) {
      const { status, type, problems } = success(id);
      for (const { path, body } of requests) {
        const res = await send(path, body);
        const where = `${id}: ${body ? 'POST' : 'GET'} ${path}`;
        expect(res.status, where).toBe(status);
        expect(res.headers.get('content-type'), where).toContain(type);
        const answer = type === 'application/json' ? await res.json() : await res.text();
        expect(problems(answer), where).toBe('');
        expect(IN_CODE[id].parse(answer, 'answer'), where).toEqual(answer);
      }
    }
  });

  it('refusals are the documented error envelope, under a status the route documents', async () => {
    const error = publishedError(doc);
    for (const { operationId, path, body, status } of REFUSALS) {
      const res = await send(path, body);
      expect(res.status, path).toBe(status);
      expect(byId(operationId).op.responses[String(status)], `${operationId} documents ${status}`).toEqual({ $ref: `#/components/responses/${status}` });
      const answer = await res.json();
      expect(error(answer), path).toBe('');
    }
  });

  it('publishes the in-code schemas themselves', () => {
    for (const [id, schema] of Object.entries(IN_CODE)) expect(Object.values(byId(id).op.responses)[0].content, id).toMatchObject({ [success(id).type]: { schema: schema.json } });
  });

  it('the schemas are strict: an answer with a field more, or one of its required fields less, fails', async () => {
    const checked: string[] = [];
    for (const [id, [{ path, body }]] of Object.entries(CASES)) {
      const { type, problems } = success(id);
      const fails = (a: unknown) => problems(a) !== '';
      if (type !== 'application/json' || id === 'openApi') continue; // the document is open: OpenAPI allows x- fields
      const answer = (await (await send(path, body)).json()) as Record<string, unknown>;
      expect(fails({ ...answer, surprise: 1 }), `${id} with an extra field`).toBe(true);
      const first = Object.keys(answer)[0];
      const { [first]: _dropped, ...less } = answer;
      expect(fails(less), `${id} without ${first}`).toBe(true);
      checked.push(id);
    }
    expect(checked.length).toBe(13);
    // Nested too: a result without its score, an item with a field of its own.
    const { problems } = success('similarItems');
    const answer = (await (await send('/v1/models/games/items/aom/similar?k=2')).json()) as { item: object; results: { score?: number }[] };
    expect(problems({ ...answer, results: answer.results.map(({ score: _s, ...r }) => r) })).toMatch(/must have required property 'score'/);
    expect(problems({ ...answer, item: { ...answer.item, year: 2002 } })).toMatch(/must NOT have additional properties/);
  });

  it("passes Redocly's recommended lint: no error, and no warning but the two stated here", async () => {
    const config = await createConfig({ extends: ['recommended'] });
    const found = await lintFromString({ source: JSON.stringify(doc), absoluteRef: 'openapi.json', config });
    const shown = found.map((p) => `${p.severity} ${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`);
    // The repository grants no licence, so the document states none (info-license), and the four routes that take no
    // input have no client error to declare (operation-4xx-response): both are said here, by rule and place.
    const accepted = new Set([
      'warn info-license #/info',
      ...['/healthz', '/openapi.json', '/v1/models', '/embed.js'].map((p) => `warn operation-4xx-response #/paths/${p.replaceAll('/', '~1')}/get/responses`),
    ]);
    expect(shown.filter((p) => !accepted.has(p.split(':')[0]))).toEqual([]);
    expect(shown.map((p) => p.split(':')[0]).sort()).toEqual([...accepted].sort());
  });

  it('openapi-typescript types every JSON answer: no operation answers `unknown`', async () => {
    const generated = astToString(await openapiTS(doc as never));
    const jsonAnswers = generated.match(/"application\/json": [^;]+;/g) ?? [];
    expect(jsonAnswers.length).toBeGreaterThan(15);
    expect(jsonAnswers.filter((a) => /"application\/json": unknown;/.test(a))).toEqual([]);
    // The shapes come through: the visitor method is a literal, the fallback a union member, optional parts optional.
    expect(generated).toMatch(/method: "foldin";/);
    expect(generated).toMatch(/fallback: "popular";/);
    expect(generated).toMatch(/variant\?: string;/);
    expect(generated).toMatch(/"text\/html": string;/);
  });

  it("openapi-typescript's types and the client's are the same (answers both ways, bodies accepted); the README's example compiles", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'edgerec-openapi-types-'));
    const client = path.join(REPO_ROOT, 'shared/client/index.js');
    await writeFile(path.join(dir, 'generated.ts'), astToString(await openapiTS(doc as never)));
    await writeFile(path.join(dir, 'check.ts'), typeCheckSource(client));
    const readme = await readFile(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const example = /```ts\n(import \{[^\n]*'edgerec\/client';\n[\s\S]*?)```/.exec(readme)?.[1];
    expect(example, "README's client example").toBeDefined();
    await writeFile(path.join(dir, 'readme-example.ts'), `${example!.replace("'edgerec/client'", JSON.stringify(client))}\nexport {};\n`);
    // The check can fail: a deliberately wrong assertion, compiled with the rest, is the one file reported.
    await writeFile(path.join(dir, 'wrong.ts'), `import type { operations } from './generated.js';\nexport const wrong: [operations['similarTags']['responses'][200]['content']['application/json']] extends [{ tag: number }] ? true : false = true;\n`);
    const program = ts.createProgram(['check.ts', 'readme-example.ts', 'wrong.ts'].map((f) => path.join(dir, f)), {
      strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler, lib: ['lib.es2022.d.ts', 'lib.webworker.d.ts'], types: [], skipLibCheck: true,
    });
    const errors = ts.getPreEmitDiagnostics(program).map((d) => `${path.basename(d.file?.fileName ?? '?')}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(errors.filter((e) => !e.startsWith('wrong.ts: '))).toEqual([]);
    expect(errors.length).toBe(1);
  });
});

/** Answers: the generated type and the client's are assignable both ways. Bodies: what the client sends is accepted. */
function typeCheckSource(client: string): string {
  const answers: [string, string, number][] = [
    ['health', 'Health', 200], ['openApi', 'OpenApi', 200], ['listModels', 'Models', 200], ['similarItems', 'SimilarItems', 200],
    ['predictRating', 'Rating', 200], ['recommendForUser', 'UserRecommendations', 200], ['recommendForVisitor', 'VisitorRecommendations', 200],
    ['recommendForRatings', 'RatingsRecommendations', 200], ['popularItems', 'Popular', 200], ['similarTags', 'SimilarTags', 200],
    ['itemTagArithmetic', 'Arithmetic', 200], ['recommendFromExamples', 'FromExamples', 200], ['predictRatings', 'Predictions', 200],
    ['postEvents', 'EventsAccepted', 202],
  ];
  const bodies: [string, string][] = [
    ['recommendForRatings', `{ ratings: Parameters<EdgerecClient['recommendForRatings']>[1] } & NonNullable<Parameters<EdgerecClient['recommendForRatings']>[2]>`],
    ['itemTagArithmetic', `Parameters<EdgerecClient['itemTagArithmetic']>[1]`],
    ['recommendFromExamples', `Parameters<EdgerecClient['recommendFromExamples']>[1]`],
    ['predictRatings', `{ pairs: Parameters<EdgerecClient['predictRatings']>[1] }`],
    ['postEvents', `{ events: Parameters<EdgerecClient['postEvents']>[0] }`],
  ];
  return [
    `import type { operations } from './generated.js';`,
    `import type * as C from ${JSON.stringify(client)};`,
    `import type { EdgerecClient } from ${JSON.stringify(client)};`,
    `type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;`,
    `type Accepts<Body, Sent> = [Writable<Sent>] extends [Body] ? true : false;`,
    `type Writable<T> = T extends readonly [infer A, infer B] ? [Writable<A>, Writable<B>] : T extends readonly (infer U)[] ? Writable<U>[] : T extends object ? { -readonly [K in keyof T]: Writable<T[K]> } : T;`,
    `type Answer<O extends keyof operations, S extends keyof operations[O]['responses']> = operations[O]['responses'][S] extends { content: { 'application/json': infer J } } ? J : never;`,
    `type Body<O extends keyof operations> = operations[O]['requestBody'] extends { content: { 'application/json': infer J } } | undefined ? J : never;`,
    ...answers.map(([op, type, status]) => `export const answer_${op}: Same<Answer<'${op}', ${status}>, C.${type}> = true;`),
    ...bodies.map(([op, sent]) => `export const body_${op}: Accepts<Body<'${op}'>, ${sent}> = true;`),
    '',
  ].join('\n');
}
