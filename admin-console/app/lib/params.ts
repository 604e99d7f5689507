// Route props as Next.js hands them to pages and layouts (both are promises since Next 15).

export type SearchParams = Record<string, string | string[] | undefined>;

export type BusinessParams = { params: Promise<{ id: string }> };

/** One query parameter as a string ("" when absent or repeated). */
export function param(params: SearchParams, key: string): string {
  const value = params[key];
  return typeof value === "string" ? value : "";
}

/** A positive integer from a route segment or query, else null. */
export function positiveInt(value: string | undefined): number | null {
  if (!value || !/^\d{1,9}$/.test(value)) return null;
  const n = Number(value);
  return n >= 1 ? n : null;
}
