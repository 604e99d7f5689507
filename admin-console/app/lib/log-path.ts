// What the server's log may say of an admin API request. No imports, for unit tests.

/**
 * `path` without its query: a query can hold a customer's name or number (a conversation search's
 * `q`, the prompt preview's `customer_name`), which the log must not. The ids in the path stay.
 */
export function loggedPath(path: string): string {
  const end = path.search(/[?#]/);
  return end === -1 ? path : `${path.slice(0, end)}?…`;
}
