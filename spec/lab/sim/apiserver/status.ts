/** Kubernetes `Status` errors, shaped as the real apiserver returns them. */

/** An API error carrying the Status object to send. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
  /** The `Status` body. */
  toStatus(): Record<string, unknown> {
    const s: Record<string, unknown> = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason };
    if (this.details) s.details = this.details;
    s.code = this.code;
    return s;
  }
}

/** The qualified resource name as the real errors print it (`pods`, `leases.coordination.k8s.io`). */
export function qualified(group: string, resource: string): string {
  return group ? `${resource}.${group}` : resource;
}

/** 404 NotFound for one object. */
export function notFound(group: string, resource: string, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualified(group, resource)} "${name}" not found`, { name, ...(group ? { group } : {}), kind: resource });
}

/** 409 AlreadyExists. */
export function alreadyExists(group: string, resource: string, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualified(group, resource)} "${name}" already exists`, { name, ...(group ? { group } : {}), kind: resource });
}

/** 409 Conflict on a stale resourceVersion. */
export function conflict(group: string, resource: string, name: string): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(group, resource)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, ...(group ? { group } : {}), kind: resource },
  );
}

/** 400 BadRequest. */
export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

/** 422 Invalid. */
export function invalid(group: string, kind: string, name: string, message: string): ApiError {
  return new ApiError(422, 'Invalid', `${kind}${group ? '.' + group : ''} "${name}" is invalid: ${message}`, { name, ...(group ? { group } : {}), kind });
}

/** 401 Unauthorized. */
export function unauthorized(): ApiError {
  return new ApiError(401, 'Unauthorized', 'Unauthorized');
}

/** 405 MethodNotAllowed. */
export function methodNotAllowed(): ApiError {
  return new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

/** 404 for an unknown path. */
export function pathNotFound(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource');
}

/** 503/500 when etcd cannot be reached or fails. */
export function storageError(err: Error): ApiError {
  return new ApiError(500, 'InternalError', `Internal error occurred: ${err.message}`);
}

/** 503 ServiceUnavailable (the lab's fault apiserver-blip): client-go's and kubectl's "the server is currently unable to handle the request". */
export function unavailable(): ApiError {
  return new ApiError(503, 'ServiceUnavailable', 'the server is currently unable to handle the request');
}
