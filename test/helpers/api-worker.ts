// One Worker in workerd with a hand-made model published, for the tests of the API contract (test/openapi-*.test.ts)
// and of the typed client (test/client.test.ts): every route can answer it, and the Node side loads the same artifact.
import type { LoadedModel } from '../../shared/model/loaded.js';
import { loadModel } from '../../shared/model/loaded.js';
import { readArtifact } from '../../training/export/artifact-files.js';
import { publishArtifact } from '../../training/publish/publish.js';
import { useWasmBackend } from '../../training/tf-node.js';
import { bucketOf } from './artifact.js';
import { GAMES, writeHandmadeArtifact, type HandmadeModel } from './handmade-artifact.js';
import { startWorker, type StartedWorker } from './worker.js';

/** GAMES (six games, three tags in the item space, two users, ratings 1..5) that can also fold visitors in. */
export const GAMES_FOLDIN: HandmadeModel = { ...GAMES, foldin: { implicit: { alpha: 1, lambda: 1 }, rating: { lambda: 1 } } };

export interface ApiWorker {
  worker: StartedWorker;
  /** The published artifact loaded in Node (the oracle for answers worked out by the shared/ model code). */
  games: LoadedModel;
  dispose(): Promise<void>;
}

/** Starts the Worker and publishes GAMES_FOLDIN as "games". */
export async function startApiWorker(): Promise<ApiWorker> {
  const [worker, dir] = await Promise.all([startWorker({ bindings: { CURRENT_TTL_SECONDS: '0' } }), writeHandmadeArtifact(GAMES_FOLDIN)]);
  await publishArtifact(bucketOf(worker.bucket), dir, 'games');
  await useWasmBackend();
  const games = loadModel('games', 'node', await readArtifact(dir));
  return {
    worker,
    games,
    async dispose() {
      games.dispose();
      await worker.dispose();
    },
  };
}
