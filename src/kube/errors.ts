/** A failed API request, with the apiserver's Status reason when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly method: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Network-level failure (refused, reset, timeout): the request may or may not have reached the server. */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly method: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

interface StatusBody {
  kind?: string;
  reason?: string;
  message?: string;
  code?: number;
}

export function apiErrorFrom(code: number, body: string, method: string, path: string): ApiError {
  let status: StatusBody = {};
  try {
    status = JSON.parse(body) as StatusBody;
  } catch {
    // not a Status object (e.g. a proxy's HTML page)
  }
  const message = status.message ?? (body.trim().slice(0, 300) || `HTTP ${code}`);
  return new ApiError(code, status.reason ?? '', message, method, path);
}

// The one place that classifies API errors (style.md): everything else asks these.
export const isNotFound = (e: unknown): boolean => e instanceof ApiError && e.code === 404;
export const isConflict = (e: unknown): boolean => e instanceof ApiError && e.code === 409;
export const isGone = (e: unknown): boolean => e instanceof ApiError && e.code === 410;
export const isInvalid = (e: unknown): boolean => e instanceof ApiError && e.code === 422;
export const isForbidden = (e: unknown): boolean => e instanceof ApiError && e.code === 403;
export const isUnauthorized = (e: unknown): boolean => e instanceof ApiError && e.code === 401;
export const isAlreadyExists = (e: unknown): boolean =>
  e instanceof ApiError && e.code === 409 && e.reason === 'AlreadyExists';
export const isTransient = (e: unknown): boolean =>
  e instanceof TransportError || (e instanceof ApiError && (e.code === 429 || e.code >= 500));
export const isImmutableFieldError = (e: unknown): boolean =>
  (e instanceof ApiError && (e.code === 409 || e.code === 422)) ||
  (e instanceof Error && /is immutable|immutable field/i.test(e.message));

/**
 * A change the server refuses because a field cannot change after creation (Deployment selector,
 * Service clusterIP, Job template, StorageClass parameters, …): recreating the object is the only
 * way to apply it. Stricter than {@link isImmutableFieldError} (Flux's rule, which counts every
 * Invalid or Conflict): a manifest that is merely invalid must never cause a live object to be
 * deleted and then fail to come back.
 */
export const isImmutableChange = (e: unknown): boolean =>
  e instanceof ApiError &&
  (e.code === 409 || e.code === 422) &&
  /immutable|updates to .* are forbidden|may not be (changed|updated)|cannot be (changed|updated)/i.test(
    e.message,
  );

/** No API serves this group/version/kind (unknown kind, or a CRD not yet established). */
export class NoKindMatchError extends Error {
  constructor(
    readonly group: string,
    readonly version: string,
    readonly kind: string,
  ) {
    super(`no matches for kind "${kind}" in version "${group ? `${group}/` : ''}${version}"`);
    this.name = 'NoKindMatchError';
  }
}

export const isNoKindMatch = (e: unknown): e is NoKindMatchError => e instanceof NoKindMatchError;

/** The request was cancelled through its AbortSignal. */
export const isAborted = (e: unknown): boolean =>
  (e instanceof Error && e.name === 'AbortError') ||
  (e instanceof TransportError && /aborted/i.test(e.message));
