/**
 * The requests in flight, kept in parallel typed arrays indexed by slot: what a request needs to be
 * recorded when its response comes back lives here instead of in a closure or an object per request, so
 * the generator's thread makes almost no garbage that survives until the next collection.
 */
export class RequestSlots {
  private capacity = 256;
  private intendedUs = new Float64Array(this.capacity);
  private requestNumbers = new Float64Array(this.capacity);
  private requestIndexes = new Int32Array(this.capacity);
  private sampledFlags = new Uint8Array(this.capacity);
  private lagsUs = new Float64Array(this.capacity);
  private readonly free: number[] = [];
  private used = 0;
  inFlight = 0;

  take(requestNumber: number, requestIndex: number, intendedUs: number, sampled: boolean, lagUs = 0): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      if (this.used === this.capacity) this.grow();
      slot = this.used++;
    }
    this.intendedUs[slot] = intendedUs;
    this.requestNumbers[slot] = requestNumber;
    this.requestIndexes[slot] = requestIndex;
    this.sampledFlags[slot] = sampled ? 1 : 0;
    this.lagsUs[slot] = lagUs;
    this.inFlight++;
    return slot;
  }

  release(slot: number): void {
    this.free.push(slot);
    this.inFlight--;
  }

  intended(slot: number): number {
    return this.intendedUs[slot] ?? 0;
  }

  requestNumber(slot: number): number {
    return this.requestNumbers[slot] ?? 0;
  }

  requestIndex(slot: number): number {
    return this.requestIndexes[slot] ?? 0;
  }

  /** How late the generator dispatched the request, µs (its own schedule lag). */
  lag(slot: number): number {
    return this.lagsUs[slot] ?? 0;
  }

  sampled(slot: number): boolean {
    return this.sampledFlags[slot] === 1;
  }

  private grow(): void {
    this.capacity *= 2;
    const grown = <T extends Float64Array | Int32Array | Uint8Array>(from: T, to: T): T => {
      to.set(from);
      return to;
    };
    this.intendedUs = grown(this.intendedUs, new Float64Array(this.capacity));
    this.requestNumbers = grown(this.requestNumbers, new Float64Array(this.capacity));
    this.requestIndexes = grown(this.requestIndexes, new Int32Array(this.capacity));
    this.sampledFlags = grown(this.sampledFlags, new Uint8Array(this.capacity));
    this.lagsUs = grown(this.lagsUs, new Float64Array(this.capacity));
  }
}
