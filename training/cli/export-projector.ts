import { join } from 'node:path';
import { exportProjector, METADATA_COLUMNS, PROJECTOR_FILES } from '../report/projector.js';
import { parse, runCli, UsageError } from './args.js';

const USAGE = `Usage: npm run export-projector -- <artifact-dir> [--out <dir>] [--json]

Writes an artifact's item embeddings for TensorBoard's embedding projector: ${PROJECTOR_FILES.vectors} (one
tab-separated row of numbers per item, dequantised exactly as the Worker reads them), ${PROJECTOR_FILES.metadata}
(header ${METADATA_COLUMNS.join(', ')}; one row per item in the same order) and ${PROJECTOR_FILES.config}; tag
embeddings too when the model has them. View with \`tensorboard --logdir <dir>\` (Projector tab), or load the two
TSV files at projector.tensorflow.org.

  --out <dir>   folder to write (default <artifact-dir>/projector)
  --json        print the result as one JSON line
`;

runCli(async () => {
  const { values, positionals } = parse(process.argv.slice(2), { out: { type: 'string' }, json: { type: 'boolean', default: false } }, USAGE, true);
  if (positionals.length !== 1) throw new UsageError(`expected one artifact folder, got ${positionals.length} (see --help)`);
  const out = values.out ?? join(positionals[0], 'projector');
  const r = await exportProjector(positionals[0], out);
  if (values.json) process.stdout.write(JSON.stringify(r) + '\n');
  else
    process.stdout.write(
      `wrote ${r.items} item vectors of ${r.dim} dimensions` +
        (r.tags ? ` and ${r.tags.count} tag vectors of ${r.tags.dim}` : '') +
        ` to ${out} (${r.files.join(', ')})\n`,
    );
});
