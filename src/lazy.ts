/**
 * A value made on first use instead of at start: for the large packages most turns never need (node-forge,
 * libphonenumber-js's metadata, node-powershell, csv-parse). Each one loaded at start costs its live heap
 * about three times over in resident memory, because V8 sizes its old space from what survives.
 */
export function lazy<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}
