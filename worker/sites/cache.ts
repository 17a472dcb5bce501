/**
 * A least-recently-used map with a fixed bound: past it, the entry unused the longest goes, one at
 * a time, so a working set larger than the bound still finds most of its entries (a cache emptied
 * whole at its bound made every site a miss at once, then again every 10,000 new keys).
 * `Map` keeps insertion order, so moving a hit to the end makes the first key the oldest: O(1).
 *
 * @example
 * const cache = new LruCache<string, number>(2);
 * cache.set("a", 1); cache.set("b", 2); cache.get("a"); cache.set("c", 3);
 * cache.get("b"); // undefined: "b" was the least recently used
 */
export class LruCache<K, V> {
  readonly #entries = new Map<K, V>();

  constructor(readonly bound: number) {
    if (!(bound >= 1)) throw new RangeError("an LRU cache holds at least one entry");
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The value last set for `key`, made the most recently used; undefined when absent. */
  get(key: K): V | undefined {
    if (!this.#entries.has(key)) return undefined;
    const value = this.#entries.get(key) as V;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  /** Sets `key` as the most recently used, evicting the least recently used past the bound. */
  set(key: K, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    while (this.#entries.size > this.bound) {
      const oldest = this.#entries.keys().next().value as K;
      this.#entries.delete(oldest);
    }
  }

  delete(key: K): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}

/**
 * `f` remembered for its last `bound` distinct arguments: for pure functions of values that repeat
 * across requests (a header, a time zone), whose answer costs more than a map lookup.
 *
 * @example
 * const zone = memoize(validTimeZone, 256);
 * zone("Europe/Madrid"); // computed once, then read from memory
 */
export function memoize<R>(f: (value: string | undefined) => R, bound: number): (value: string | undefined) => R {
  const known = new LruCache<string | undefined, { result: R }>(bound);
  return (value) => {
    const hit = known.get(value);
    if (hit) return hit.result;
    const result = f(value);
    known.set(value, { result });
    return result;
  };
}
