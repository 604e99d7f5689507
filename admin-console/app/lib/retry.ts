// One more try for a request that met a connection the API had already closed. Node's fetch
// (undici) keeps idle connections for about 4 s; a server that closes sooner can close one just
// as a request goes out on it ("other side closed", ECONNRESET). No imports, for unit tests.

/**
 * Sent again after a closed connection: reads, and PUT (it replaces a whole list, so sending it
 * twice leaves what sending it once does). Never POST or PATCH, unless the request carries an
 * Idempotency-Key (the API answers its repeat with the first one's result); nor DELETE: a repeat
 * that finds the thing already gone answers 404, which would report a success as a failure.
 */
const RETRIED_METHODS = new Set(["GET", "HEAD", "PUT"]);

const CLOSED_CODES = new Set(["UND_ERR_SOCKET", "ECONNRESET"]);

/** Whether `error` (or one of its causes) says the connection was closed or reset under us. */
export function isClosedConnection(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as Error & { code?: unknown }).code;
    if ((typeof code === "string" && CLOSED_CODES.has(code)) || current.message.includes("other side closed")) {
      return true;
    }
    current = current.cause;
  }
  return false;
}

/** Run `send`; for an idempotent method, or a request with an idempotency key (`keyed`), run it
 * exactly once more if the connection was closed. */
export async function retryClosedOnce<T>(
  method: string,
  send: () => Promise<T>,
  onRetry?: (error: unknown) => void,
  keyed = false,
): Promise<T> {
  try {
    return await send();
  } catch (error) {
    if (!(keyed || RETRIED_METHODS.has(method.toUpperCase())) || !isClosedConnection(error)) throw error;
    onRetry?.(error);
    return send();
  }
}
