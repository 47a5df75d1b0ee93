/** One original cut from the camera's bitstream: a self-contained fragmented MP4 (init + whole fragments). */
export interface CutOriginal {
  readonly sequence: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly data: Buffer;
}

export interface Fmp4CutterOptions {
  /** Cut at the first fragment boundary at least this long after the current original began. */
  readonly targetMs: number;
  readonly now: () => number;
  readonly onOriginal: (original: CutOriginal) => void;
}

const HEADER = 8;

/**
 * Cuts a fragmented-MP4 pipe (`frag_keyframe+empty_moov`) into originals at fragment boundaries, in memory only
 * (invariant P2): `ftyp`+`moov` form the init segment every original starts with; each `moof`+`mdat` is one
 * fragment beginning with a keyframe, so every original plays on its own. Times are arrival times of fragments.
 */
export class Fmp4Cutter {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private init: Buffer[] = [];
  private initDone = false;
  private fragments: Buffer[] = [];
  private startedAt: number | undefined;
  /** Next cut on a fixed grid of targetMs from the first fragment (see onBox). */
  private nextCutAt = 0;
  private sequence = 0;

  constructor(private readonly options: Fmp4CutterOptions) {}

  push(chunk: Buffer): void {
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    this.drainBoxes();
  }

  /** The pipe ended: the last original holds every complete fragment so far. */
  end(): void {
    this.emit(this.options.now());
    this.buffered = [];
    this.bufferedBytes = 0;
  }

  private drainBoxes(): void {
    for (;;) {
      if (this.bufferedBytes < HEADER) return;
      const head = this.peek(16);
      let size = head.readUInt32BE(0);
      if (size === 1) {
        if (head.length < 16) return;
        size = Number(head.readBigUInt64BE(8));
      }
      if (size < HEADER) throw new RangeError(`malformed MP4 box of ${size} bytes`);
      if (this.bufferedBytes < size) return;
      const box = this.take(size);
      this.onBox(box.subarray(4, 8).toString('latin1'), box);
    }
  }

  private onBox(type: string, box: Buffer): void {
    if (!this.initDone) {
      if (type === 'moof') this.initDone = true;
      else {
        this.init.push(box);
        return;
      }
    }
    if (type === 'moof') {
      const now = this.options.now();
      if (this.startedAt === undefined) {
        this.startedAt = now;
        this.nextCutAt = now + this.options.targetMs;
      } else if (now >= this.nextCutAt) {
        // A fixed grid, not "targetMs since the last cut": cuts land on the first keyframe after each boundary, so
        // originals stay in step with the redacted segments instead of drifting later by part of a keyframe
        // interval each time, which made segments wait ever longer for the original covering their end.
        // After a gap longer than a whole period the grid restarts at this cut.
        this.nextCutAt += this.options.targetMs;
        if (this.nextCutAt <= now) this.nextCutAt = now + this.options.targetMs;
        this.emit(now);
      }
    }
    this.fragments.push(box);
  }

  private emit(now: number): void {
    if (this.fragments.length === 0 || this.startedAt === undefined) return;
    const data = Buffer.concat([...this.init, ...this.fragments]);
    const original = { sequence: this.sequence, startMs: this.startedAt, endMs: now, data };
    this.sequence += 1;
    this.fragments = [];
    this.startedAt = now;
    this.options.onOriginal(original);
  }

  private peek(bytes: number): Buffer {
    const first = this.buffered[0] as Buffer;
    if (first.length >= bytes || this.buffered.length === 1) return first.subarray(0, bytes);
    return Buffer.concat(this.buffered).subarray(0, bytes);
  }

  private take(bytes: number): Buffer {
    const all = this.buffered.length === 1 ? (this.buffered[0] as Buffer) : Buffer.concat(this.buffered);
    const box = Buffer.from(all.subarray(0, bytes));
    const rest = all.subarray(bytes);
    this.buffered = rest.length > 0 ? [rest] : [];
    this.bufferedBytes = rest.length;
    return box;
  }
}
