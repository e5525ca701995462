/**
 * Named domain errors. The Worker's one error handler maps them to the JSON envelope
 * `{"error": {"code", "message"}}` with `status`; anything else is logged and answered with a generic 500.
 */
export class EdgerecError extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 413 | 422 | 429 | 500 | 503,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The request is malformed: a bad parameter, id or body. */
export class BadRequestError extends EdgerecError {
  constructor(message: string, code = 'bad_request') {
    super(400, code, message);
  }
}

/** A model, user, item or tag that does not exist. */
export class NotFoundError extends EdgerecError {
  constructor(message: string, code = 'not_found') {
    super(404, code, message);
  }
}

/** Nothing is published yet for this model, or the bucket is empty. */
export class NoModelError extends EdgerecError {
  constructor(message: string) {
    super(503, 'no_model', message);
  }
}

/** An artifact that fails validation (checksum, shapes, finiteness, format version). It is never served. */
export class ArtifactError extends EdgerecError {
  constructor(message: string) {
    super(500, 'bad_artifact', message);
  }
}

/** A published model exists but cannot be served (its artifact failed to load and no earlier version is loaded). */
export class ModelUnavailableError extends EdgerecError {
  constructor(message: string) {
    super(503, 'model_unavailable', message);
  }
}
