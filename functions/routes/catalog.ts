import { Hono } from 'hono';
import type { Models } from '../../shared/api/answers.js';
import { ARTIFACT_FILES, type Manifest } from '../../shared/artifact/schema.js';
import { registryKeys } from '../../shared/registry.js';
import type { AppEnv } from '../env.js';

/** GET /v1/models: what is published, read from the bucket (no model is loaded to answer). */
export const catalogRoutes = new Hono<AppEnv>();

catalogRoutes.get('/', async (c) => {
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await c.env.MODELS.list({ delimiter: '/', cursor });
    names.push(...page.delimitedPrefixes.map((p) => p.replace(/\/$/, '')));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  const models: Models['models'] = [];
  for (const name of names.sort()) {
    const pointer = await c.env.MODELS.get(registryKeys.current(name));
    if (!pointer) continue;
    const version = (await pointer.text()).trim();
    const manifestObj = await c.env.MODELS.get(registryKeys.file(name, version, ARTIFACT_FILES.manifest));
    if (!manifestObj) {
      models.push({ name, version, error: `manifest of version ${version} is missing` });
      continue;
    }
    try {
      const m = (await manifestObj.json()) as Manifest;
      models.push({
        name,
        version,
        kind: m.model.kind,
        hyper: m.model.hyper,
        counts: { users: m.counts.users, items: m.counts.items, ...(m.counts.tags !== undefined ? { tags: m.counts.tags } : {}) },
        bytes: { tensors: m.tensorsBytes },
        dataset: m.dataset,
        metrics: m.metrics,
        createdAt: m.createdAt,
      });
    } catch {
      models.push({ name, version, error: `manifest of version ${version} is not valid JSON` });
    }
  }
  const answer: Models = { models };
  return c.json(answer);
});
