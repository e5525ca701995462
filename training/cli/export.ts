import { basename, resolve } from 'node:path';
import { readArtifact } from '../export/artifact-files.js';
import { exportVectorize, VECTORIZE_LIMITS, VectorizeMetric } from '../export/vectorize-ndjson.js';
import { parse, runCli, UsageError } from './args.js';

const USAGE = `Usage: npm run export -- <artifact-dir> --to vectorize-ndjson --out <file.ndjson> [--index <name>] [--metric cosine|dot-product|euclidean] [--json]

Writes the artifact's item vectors (dequantised as the Worker reads them) as NDJSON for \`wrangler vectorize insert\`:
{"id", "values", "metadata": {"title", "tags"}} per line, metadata capped to Vectorize's ${VECTORIZE_LIMITS.metadataBytes / 1024} KiB
(tags dropped from the end, then the title cut), ids checked against its ${VECTORIZE_LIMITS.idBytes} bytes, at most ${VECTORIZE_LIMITS.dimensions}
dimensions; more than ${VECTORIZE_LIMITS.perInsert.toLocaleString('en')} vectors (one wrangler insert run) go to <file>-0001.ndjson, ...
Prints the \`wrangler vectorize create\` command with the dimensions and metric, and one insert per file.

  --to vectorize-ndjson   the export format (the only one)
  --out <file>            NDJSON file to write (required)
  --index <name>          the Vectorize index name in the printed commands (default: the artifact folder's name)
  --metric <m>            cosine (default: edgerec's similar items), dot-product (a biased model's item bias is
                          appended as a last dimension: query with [user vector, 1]) or euclidean
  --json                  print the result as one JSON line
`;

runCli(async () => {
  const { values: v, positionals } = parse(
    process.argv.slice(2),
    { to: { type: 'string' }, out: { type: 'string' }, index: { type: 'string' }, metric: { type: 'string', default: 'cosine' }, json: { type: 'boolean', default: false } },
    USAGE,
    true,
  );
  if (positionals.length !== 1) throw new UsageError(`expected one artifact folder, got ${positionals.length} (see --help)`);
  if (v.to !== 'vectorize-ndjson') throw new UsageError(`--to must be vectorize-ndjson, got ${JSON.stringify(v.to)}`);
  if (!v.out) throw new UsageError('--out is required: the NDJSON file to write');
  const metric = v.metric as VectorizeMetric;
  if (!Object.values(VectorizeMetric).includes(metric)) throw new UsageError(`--metric must be one of ${Object.values(VectorizeMetric).join(', ')}, got ${JSON.stringify(v.metric)}`);
  const indexName = v.index ?? basename(resolve(positionals[0]));
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(indexName)) throw new UsageError(`--index ${JSON.stringify(indexName)} is not a Vectorize index name (lower-case letters, digits and -, at most 64 bytes); pass --index`);
  const r = await exportVectorize(await readArtifact(positionals[0]), v.out, indexName, metric);
  if (v.json) {
    process.stdout.write(JSON.stringify(r) + '\n');
    return;
  }
  process.stdout.write(
    `wrote ${r.vectors} vectors of ${r.dimensions} dimensions (${r.metric}${r.biasDimension ? ', item bias as the last dimension' : ''}) to ${r.files.join(', ')}` +
      (r.cappedMetadata ? `; metadata of ${r.cappedMetadata} items cut to ${VECTORIZE_LIMITS.metadataBytes} bytes` : '') +
      '\n' + r.commands.join('\n') + '\n',
  );
});
