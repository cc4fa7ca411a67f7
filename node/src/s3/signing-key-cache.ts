/**
 * SigV4 signing keys, derived once per (secret, date, region, service) instead of four HMACs per
 * request. A key is a pure function of those four values, so a cached one is exactly the derived one;
 * the cache is bounded (least recently used out first), and a key is only reused for the same secret.
 */
export class SigningKeyCache {
  private readonly keys = new Map<string, Buffer>();
  hits = 0;
  misses = 0;

  constructor(
    private readonly derive: (secret: string, date: string, region: string, service: string) => Buffer,
    private readonly maxEntries = 256,
  ) {}

  get(secret: string, date: string, region: string, service: string): Buffer {
    const id = `${date}\n${region}\n${service}\n${secret}`;
    const cached = this.keys.get(id);
    if (cached !== undefined) {
      this.hits++;
      this.keys.delete(id); // re-insert: most recently used last
      this.keys.set(id, cached);
      return cached;
    }
    this.misses++;
    const key = this.derive(secret, date, region, service);
    this.keys.set(id, key);
    if (this.keys.size > this.maxEntries) this.keys.delete(this.keys.keys().next().value as string);
    return key;
  }

  get size(): number {
    return this.keys.size;
  }
}
