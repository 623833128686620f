// Own-key access to maps whose keys come from Git. A key such as `__proto__`, `constructor` or
// `toString` is data (kyaml keeps it as a plain key): reading it must never reach
// Object.prototype, and writing it must never replace an object's prototype or pollute the
// process-wide one. Every lookup or store by a key read from a repository goes through here.

/** Whether `key` is an own property of `o` (inherited members such as `constructor` are not). */
export function hasOwn(o: object, key: PropertyKey): boolean {
  return Object.hasOwn(o, key);
}

/** The own value at `key`, or undefined when `o` has no such own property. */
export function getOwn<T>(o: { readonly [key: string]: T }, key: string): T | undefined {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

/**
 * Stores `value` as an own, enumerable property. A plain assignment of `__proto__` would call
 * Object.prototype's setter (replacing the object's prototype) instead of storing data; it is
 * defined instead, so it serializes, clones and spreads like any other key.
 */
export function setOwn<T>(o: { [key: string]: T }, key: string, value: T): void {
  if (key === '__proto__') {
    Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    o[key] = value;
  }
}
