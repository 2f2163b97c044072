/**
 * The lab's cache: Redis (ioredis) when a URL is given, else an in-process LRU with per-entry TTL.
 * Values are JSON strings; keys are prefixed so several labs can share one Redis.
 */
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import type { Redis as RedisClient } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { labRequire } from './lab-require.js';

export interface LabCache {
  get(key: string): Promise<string | undefined>;
  /** One round trip for many keys (Redis MGET): a well-built cache-aside read of a list is not N lookups. */
  getMany(keys: readonly string[]): Promise<(string | undefined)[]>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** One round trip for many entries (a Redis pipeline). */
  setMany(entries: readonly (readonly [string, string])[], ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}

function lruCache(): LabCache {
  const lru = new LRUCache<string, string>({ max: 50_000 });
  return {
    get: (key) => Promise.resolve(lru.get(key)),
    getMany: (keys) => Promise.resolve(keys.map((key) => lru.get(key))),
    set: (key, value, ttlMs) => {
      lru.set(key, value, { ttl: ttlMs });
      return Promise.resolve();
    },
    setMany: (entries, ttlMs) => {
      for (const [key, value] of entries) lru.set(key, value, { ttl: ttlMs });
      return Promise.resolve();
    },
    delete: (key) => {
      lru.delete(key);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}

function redisCache(url: string, prefix: string): LabCache {
  const { Redis } = labRequire('ioredis') as { Redis: typeof RedisClient };
  const client = new Redis(url, { keyPrefix: prefix, maxRetriesPerRequest: 1, connectTimeout: 2000, lazyConnect: false });
  client.on('error', () => undefined);
  return {
    get: async (key) => (await client.get(key)) ?? undefined,
    getMany: async (keys) => (keys.length === 0 ? [] : (await client.mget(...keys)).map((value) => value ?? undefined)),
    set: async (key, value, ttlMs) => {
      await client.set(key, value, 'PX', ttlMs);
    },
    setMany: async (entries, ttlMs) => {
      if (entries.length === 0) return;
      const pipeline = client.pipeline();
      for (const [key, value] of entries) pipeline.set(key, value, 'PX', ttlMs);
      await pipeline.exec();
    },
    delete: async (key) => {
      await client.del(key);
    },
    close: async () => {
      await client.quit().catch(() => client.disconnect());
    },
  };
}

export function createLabCache(redisUrl: string | undefined, prefix: string): LabCache {
  return redisUrl ? redisCache(redisUrl, prefix) : lruCache();
}

/**
 * Runs a cache fill off the request path: not awaited, and outside the request's trace context, because
 * no reader waits for it (its spans would otherwise sit in the request's trace as if they were).
 */
export function fillInBackground(fill: () => Promise<void>): void {
  context.with(ROOT_CONTEXT, () => {
    void fill().catch(() => undefined);
  });
}
