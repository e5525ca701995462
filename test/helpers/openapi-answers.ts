// The success answers GET /openapi.json publishes, compiled with ajv (JSON Schema 2020-12) so a test can check a
// real answer against the schema of its route: test/openapi-contract.test.ts for every route, test/contract.test.ts
// for every route of every model kind.
import { Ajv2020 } from 'ajv/dist/2020.js';

export interface PublishedDoc {
  paths: Record<string, Record<string, { operationId: string; responses: Record<string, { $ref?: string; content?: Record<string, { schema: object }> }> }>>;
  components: { schemas: Record<string, object> };
}

export interface PublishedAnswer {
  /** `GET /v1/models/{model}/popular`. */
  operation: string;
  operationId: string;
  status: number;
  type: string;
  /** '' when `answer` matches the schema, else what does not (one line per problem). */
  problems(answer: unknown): string;
}

/** Every operation's success answer, by `METHOD /path` and by operationId. */
export function publishedAnswers(doc: PublishedDoc): Map<string, PublishedAnswer> {
  // strict: unknown keywords and ambiguous schemas are errors; union types (["string", "integer"] ids) are valid 2020-12.
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
  const out = new Map<string, PublishedAnswer>();
  for (const [path, byMethod] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(byMethod)) {
      const [status, response] = Object.entries(op.responses).find(([s]) => s.startsWith('2'))!;
      const [type, media] = Object.entries(response.content!)[0];
      const validate = ajv.compile(media.schema);
      const operation = `${method.toUpperCase()} ${path}`;
      const answer: PublishedAnswer = {
        operation,
        operationId: op.operationId,
        status: Number(status),
        type,
        problems: (a) => (validate(a) ? '' : ajv.errorsText(validate.errors, { separator: '\n' })),
      };
      out.set(operation, answer).set(op.operationId, answer);
    }
  }
  return out;
}

/** The error envelope every refusal is, compiled the same way. */
export function publishedError(doc: PublishedDoc): (answer: unknown) => string {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  const validate = ajv.compile(doc.components.schemas.Error);
  return (a) => (validate(a) ? '' : ajv.errorsText(validate.errors, { separator: '\n' }));
}
