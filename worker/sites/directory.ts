import { LruCache } from "./cache";

/** Where a `SiteDirectory` reads from (`C`: the database of the request asking): one site by key,
 * and which keys changed after a version. */
export interface SiteSource<T, C> {
  byKey(from: C, key: string): Promise<T | null>;
  /** Keys changed after `version` (undefined: never checked), newest first, and the newest version
   * seen; `"many"` when more changed than the source lists (everything is then forgotten). */
  changedSince(from: C, version: number | undefined): Promise<{ keys: string[] | "many"; version: number | undefined }>;
}

export interface DirectoryOptions {
  /** Sites kept at most (least recently used go first). */
  bound: number;
  /** Unknown keys remembered at most: kept apart, so a flood of made-up keys cannot push real sites out. */
  missingBound: number;
  /** How often the source is asked what changed: the longest a change made elsewhere is served stale. */
  checkEveryMs: number;
  /** A site is read again after this long even if no change was seen (a safety net, not the freshness rule). */
  foundForMs: number;
  /** An unknown key is asked again after this long (a site created a moment ago starts working). */
  missingForMs: number;
  now: () => number;
}

interface Entry<T> {
  value: T;
  until: number;
}

/**
 * Sites by key, kept in memory and fresh: every `checkEveryMs` the source says which keys changed,
 * and only those are forgotten. A read never waits on the source except on a miss and for that
 * periodic check (one indexed read for every site together), and never on another request's I/O.
 * Bounded: least recently used go first.
 *
 * @example
 * const sites = new SiteDirectory(source, { bound: 25_000, missingBound: 1_000, checkEveryMs: 2_000, foundForMs: 600_000, missingForMs: 5_000, now: Date.now });
 * const site = await sites.get(env.DB, "pk_demo_local");
 */
export class SiteDirectory<T, C> {
  readonly #found: LruCache<string, Entry<T>>;
  readonly #missing: LruCache<string, Entry<null>>;
  #version: number | undefined;
  #checkedAt = Number.NEGATIVE_INFINITY;
  /** Moves at every forget: a read that started before one must not store what it read. */
  #generation = 0;

  constructor(
    readonly source: SiteSource<T, C>,
    readonly options: DirectoryOptions,
  ) {
    this.#found = new LruCache(options.bound);
    this.#missing = new LruCache(options.missingBound);
  }

  get size(): number {
    return this.#found.size + this.#missing.size;
  }

  /** The site with this key (null: none), from memory when it is there and no change was seen. */
  async get(from: C, key: string): Promise<T | null> {
    await this.#revalidate(from);
    const now = this.options.now();
    const hit = this.#found.get(key) ?? this.#missing.get(key);
    if (hit && hit.until > now) return hit.value;
    const generation = this.#generation;
    const value = await this.source.byKey(from, key);
    // Forgotten while this read was in flight: what it read may be older than the change.
    if (generation === this.#generation) this.#store(key, value, this.options.now());
    return value;
  }

  /** Forgets one key (this isolate changed it: its next read sees the change at once). */
  forget(key: string): void {
    this.#generation++;
    this.#found.delete(key);
    this.#missing.delete(key);
  }

  /** Forgets everything (tests that write sites straight into D1). */
  clear(): void {
    this.#generation++;
    this.#found.clear();
    this.#missing.clear();
  }

  #store(key: string, value: T | null, now: number): void {
    if (value === null) {
      this.#found.delete(key);
      this.#missing.set(key, { value: null, until: now + this.options.missingForMs });
    } else {
      this.#missing.delete(key);
      this.#found.set(key, { value, until: now + this.options.foundForMs });
    }
  }

  // Each request that finds the check due makes its own and waits for it; one in flight is never
  // shared: in workerd a promise settled by another request's I/O can hang when that request ends
  // (with a Durable Object waiting on it, a whole person's queue of work stood still). Requests
  // that come while a check is in flight answer from memory: at most one D1 round trip staler.
  #revalidate(from: C): Promise<void> | undefined {
    if (this.options.now() - this.#checkedAt < this.options.checkEveryMs) return;
    this.#checkedAt = this.options.now();
    return this.#check(from);
  }

  async #check(from: C): Promise<void> {
    let changed: Awaited<ReturnType<SiteSource<T, C>["changedSince"]>>;
    try {
      changed = await this.source.changedSince(from, this.#version);
    } catch (e) {
      // Served from memory meanwhile (a miss still reads the source); the next request asks again.
      console.error("checking for changed sites failed", e);
      this.#checkedAt = Number.NEGATIVE_INFINITY;
      return;
    }
    if (changed.keys === "many") this.clear();
    // A new site's key may be remembered as unknown: `forget` drops it from both.
    else for (const key of changed.keys) this.forget(key);
    // Checks can overlap and end in any order: the version seen only moves forward.
    this.#version = Math.max(changed.version ?? Number.NEGATIVE_INFINITY, this.#version ?? Number.NEGATIVE_INFINITY);
    if (this.#version === Number.NEGATIVE_INFINITY) this.#version = undefined;
  }
}
