import type { Box, Detection, ObjectClass } from './detector.js';

/**
 * Tracker for redaction: it associates detections over time and answers, for any frame, which boxes must be
 * redacted. Between two hits of a track it interpolates; after the last hit it predicts forward for `ttlMs`;
 * before the first hit it back-fills for `lookaheadMs` (the frames in which the object had already entered).
 * Boxes away from a hit grow with motion and age, so uncertainty widens the redaction instead of missing.
 * Pure: no clock, no I/O; all times are stream milliseconds. Input boxes are already padded by the detector.
 */
export type RegionSource = 'detector' | 'track' | 'lookahead';

export interface TrackedRegion extends Box {
  cls: ObjectClass;
  source: RegionSource;
  score?: number;
}

export interface TrackerOptions {
  readonly frameWidth: number;
  readonly frameHeight: number;
  /** How long a track keeps being redacted after its last hit, and the longest gap bridged between hits. */
  readonly ttlMs: number;
  /** How far before its first hit a track is back-filled. */
  readonly lookaheadMs: number;
  /** Growth per second away from the nearest hit, as a share of the box's size. */
  readonly agePadding: number;
  /** Extra margin as a share of the distance the box moved (interpolation) or is predicted to move. */
  readonly motionPadding: number;
}

export const DEFAULT_TRACKER_OPTIONS = { ttlMs: 1000, agePadding: 0.6, motionPadding: 0.5 } as const;

interface Hit {
  readonly ptsMs: number;
  readonly box: Box;
  readonly score: number;
}

interface Track {
  readonly cls: ObjectClass;
  readonly hits: Hit[];
}

/** Minimum association score: IoU with the predicted box plus closeness of centres. */
const MIN_MATCH = 0.1;

function centre(box: Box): { cx: number; cy: number } {
  return { cx: box.x + box.w / 2, cy: box.y + box.h / 2 };
}

export function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  const inter = ix * iy;
  const union = a.w * a.h + b.w * b.h - inter;
  return union > 0 ? inter / union : 0;
}

function matchScore(predicted: Box, det: Box): number {
  const a = centre(predicted);
  const b = centre(det);
  const scale = Math.max(predicted.w, predicted.h, det.w, det.h);
  const distance = Math.hypot(a.cx - b.cx, a.cy - b.cy) / scale;
  // Centres up to two box sizes apart can still match: a fast object between sparse analyses may not overlap itself.
  return iou(predicted, det) + Math.max(0, 1 - distance / 2);
}

/** Velocity (px per ms) of the box centre between two hits. */
function velocity(a: Hit, b: Hit): { vx: number; vy: number } {
  const dt = b.ptsMs - a.ptsMs;
  const ca = centre(a.box);
  const cb = centre(b.box);
  return dt > 0 ? { vx: (cb.cx - ca.cx) / dt, vy: (cb.cy - ca.cy) / dt } : { vx: 0, vy: 0 };
}

function shifted(box: Box, dx: number, dy: number): Box {
  return { x: box.x + dx, y: box.y + dy, w: box.w, h: box.h };
}

function grown(box: Box, marginX: number, marginY: number): Box {
  return { x: box.x - marginX, y: box.y - marginY, w: box.w + 2 * marginX, h: box.h + 2 * marginY };
}

export class Tracker {
  private tracks: Track[] = [];

  constructor(private readonly options: TrackerOptions) {}

  /** Detections of one analysed frame, in source pixels; frames must arrive in increasing time. */
  addDetections(ptsMs: number, detections: readonly Detection[]): void {
    const candidates: { track: Track; det: number; score: number }[] = [];
    for (const track of this.tracks) {
      const last = track.hits[track.hits.length - 1] as Hit;
      if (last.ptsMs >= ptsMs || ptsMs - last.ptsMs > this.options.ttlMs) continue;
      const predicted = this.extrapolate(track, ptsMs, false);
      detections.forEach((det, index) => {
        if (det.cls !== track.cls) return;
        const score = matchScore(predicted, det);
        if (score >= MIN_MATCH) candidates.push({ track, det: index, score });
      });
    }
    candidates.sort((a, b) => b.score - a.score);
    const usedTracks = new Set<Track>();
    const usedDets = new Set<number>();
    for (const { track, det, score: _score } of candidates) {
      if (usedTracks.has(track) || usedDets.has(det)) continue;
      usedTracks.add(track);
      usedDets.add(det);
      const d = detections[det] as Detection;
      track.hits.push({ ptsMs, box: { x: d.x, y: d.y, w: d.w, h: d.h }, score: d.score });
    }
    detections.forEach((d, index) => {
      if (usedDets.has(index)) return;
      this.tracks.push({ cls: d.cls, hits: [{ ptsMs, box: { x: d.x, y: d.y, w: d.w, h: d.h }, score: d.score }] });
    });
  }

  /** Every box to redact at `ptsMs`, clipped to the frame. Frames must be asked in non-decreasing time. */
  regionsAt(ptsMs: number): TrackedRegion[] {
    this.prune(ptsMs);
    const regions: TrackedRegion[] = [];
    for (const track of this.tracks) {
      const region = this.regionOf(track, ptsMs);
      if (region) regions.push(region);
    }
    return regions;
  }

  get trackCount(): number {
    return this.tracks.length;
  }

  private regionOf(track: Track, t: number): TrackedRegion | null {
    const hits = track.hits;
    let after = hits.findIndex((hit) => hit.ptsMs >= t);
    if (after === -1) after = hits.length;
    const next = hits[after];
    const prev = hits[after - 1];
    if (next !== undefined && next.ptsMs === t) return this.clip({ ...next.box, cls: track.cls, source: 'detector', score: next.score });
    if (prev !== undefined && next !== undefined && next.ptsMs - prev.ptsMs <= this.options.ttlMs) {
      return this.clip({ ...this.interpolate(prev, next, t), cls: track.cls, source: 'track' });
    }
    if (prev !== undefined && t - prev.ptsMs <= this.options.ttlMs) {
      return this.clip({ ...this.extrapolate(track, t, true), cls: track.cls, source: 'track' });
    }
    if (prev === undefined && next !== undefined && next.ptsMs - t <= this.options.lookaheadMs) {
      return this.clip({ ...this.backfill(track, t), cls: track.cls, source: 'lookahead' });
    }
    return null;
  }

  private interpolate(a: Hit, b: Hit, t: number): Box {
    const f = (t - a.ptsMs) / (b.ptsMs - a.ptsMs);
    const box = {
      x: a.box.x + (b.box.x - a.box.x) * f,
      y: a.box.y + (b.box.y - a.box.y) * f,
      w: a.box.w + (b.box.w - a.box.w) * f,
      h: a.box.h + (b.box.h - a.box.h) * f,
    };
    // Motion between hits need not be linear: allow a share of the distance moved, most in the middle.
    const { motionPadding } = this.options;
    const bend = 4 * f * (1 - f);
    const moved = Math.hypot(centre(b.box).cx - centre(a.box).cx, centre(b.box).cy - centre(a.box).cy);
    const margin = motionPadding * bend * moved + Math.abs(b.box.w - a.box.w) / 2;
    return grown(box, margin, margin + Math.abs(b.box.h - a.box.h) / 2);
  }

  /** Forward prediction from the last hit (or, with `padded` false, the raw prediction used for association). */
  private extrapolate(track: Track, t: number, padded: boolean): Box {
    const hits = track.hits;
    const last = hits[hits.length - 1] as Hit;
    const before = hits[hits.length - 2];
    const v = before && last.ptsMs - before.ptsMs <= this.options.ttlMs ? velocity(before, last) : { vx: 0, vy: 0 };
    const dt = t - last.ptsMs;
    const moved = shifted(last.box, v.vx * dt, v.vy * dt);
    return padded ? this.padForAge(moved, dt, v) : moved;
  }

  /** Before the first hit: run the first known motion backwards, widening with distance in time. */
  private backfill(track: Track, t: number): Box {
    const first = track.hits[0] as Hit;
    const second = track.hits[1];
    const v = second && second.ptsMs - first.ptsMs <= this.options.ttlMs ? velocity(first, second) : { vx: 0, vy: 0 };
    const dt = first.ptsMs - t;
    return this.padForAge(shifted(first.box, -v.vx * dt, -v.vy * dt), dt, v);
  }

  private padForAge(box: Box, dtMs: number, v: { vx: number; vy: number }): Box {
    const seconds = dtMs / 1000;
    const { agePadding, motionPadding } = this.options;
    const marginX = box.w * agePadding * seconds + motionPadding * Math.abs(v.vx) * dtMs;
    const marginY = box.h * agePadding * seconds + motionPadding * Math.abs(v.vy) * dtMs;
    return grown(box, marginX, marginY);
  }

  private clip(region: TrackedRegion): TrackedRegion | null {
    const x0 = Math.max(0, Math.floor(region.x));
    const y0 = Math.max(0, Math.floor(region.y));
    const x1 = Math.min(this.options.frameWidth, Math.ceil(region.x + region.w));
    const y1 = Math.min(this.options.frameHeight, Math.ceil(region.y + region.h));
    if (x1 <= x0 || y1 <= y0) return null;
    return { ...region, x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
  }

  /** Forgets tracks that can no longer produce a region, and hits no frame will need again. */
  private prune(t: number): void {
    const horizon = t - this.options.ttlMs;
    this.tracks = this.tracks.filter((track) => (track.hits[track.hits.length - 1] as Hit).ptsMs >= horizon);
    for (const track of this.tracks) {
      let drop = 0;
      while (drop < track.hits.length - 2 && (track.hits[drop + 1] as Hit).ptsMs < horizon) drop += 1;
      if (drop > 0) track.hits.splice(0, drop);
    }
  }
}
