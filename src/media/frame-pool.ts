/**
 * A fixed set of preallocated frame buffers (slots). Frames move through the loop as slot numbers; pixels
 * are written once (from the decoder pipe) and never copied again. With `shared`, the slots live in one
 * SharedArrayBuffer so a worker thread can read them without a copy or transfer.
 */
export class FramePool {
  readonly slotBytes: number;
  readonly capacity: number;
  readonly memory: ArrayBuffer | SharedArrayBuffer;
  private readonly views: Buffer[];
  private readonly freeSlots: number[];

  constructor(capacity: number, slotBytes: number, shared = false) {
    this.capacity = capacity;
    this.slotBytes = slotBytes;
    this.memory = shared ? new SharedArrayBuffer(capacity * slotBytes) : new ArrayBuffer(capacity * slotBytes);
    this.views = [];
    this.freeSlots = [];
    for (let slot = 0; slot < capacity; slot += 1) {
      this.views.push(Buffer.from(this.memory, slot * slotBytes, slotBytes));
      this.freeSlots.push(capacity - 1 - slot);
    }
  }

  /** A free slot, or -1 when every slot is in use (the caller applies backpressure). */
  acquire(): number {
    return this.freeSlots.pop() ?? -1;
  }

  release(slot: number): void {
    this.freeSlots.push(slot);
  }

  get available(): number {
    return this.freeSlots.length;
  }

  view(slot: number): Buffer {
    const view = this.views[slot];
    if (view === undefined) throw new RangeError(`frame slot ${slot} outside pool of ${this.capacity}`);
    return view;
  }

  byteOffset(slot: number): number {
    return slot * this.slotBytes;
  }
}
