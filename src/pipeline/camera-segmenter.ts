import { createHash } from 'node:crypto';
import { open, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fsyncDirectory, writeFileDurably } from '../shared/durable-file.js';
import { pendingReportPathOf, segmentIdOf } from '../shared/segments.js';
import type { RedactedRegion } from './frame-report.js';
import type { FinishedSegment } from './camera-protocol.js';

export interface SegmenterOptions {
  cameraId: string;
  workDir: string;
  spoolDir: string;
  /** Prefix of this run's partial files in `workDir` (`<prefix>-000000.mp4`, …). */
  runTag: string;
  segmentSeconds: number;
  fps: number;
  width: number;
  height: number;
  masks: number;
  detector: FinishedSegment['detector'];
  /** UTC time of the run's first frame; frame i lies at epoch + i / fps. */
  epochMs: () => number;
  onSegment: (segment: FinishedSegment) => void;
}

interface SegmentTally {
  frames: number;
  failClosedFrames: number;
  regionsPerClass: Record<string, number>;
}

async function hashAndSync(path: string): Promise<{ sha256: string; bytes: number }> {
  const handle = await open(path, 'r+');
  try {
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of handle.createReadStream({ autoClose: false }) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      bytes += chunk.length;
    }
    await handle.sync();
    return { sha256: hash.digest('hex'), bytes };
  } finally {
    await handle.close();
  }
}

/**
 * Removes what earlier runs of a camera left in its work directory. A camera process that was killed (or whose
 * gateway was) leaves its unfinished segment there: an MP4 without its index, which nothing can play or publish,
 * and which would otherwise stay on disk for good. One process runs a camera at a time, so the next run of the
 * camera clears the directory before it writes.
 */
export async function clearEarlierRuns(workDir: string): Promise<number> {
  const names = await readdir(workDir);
  for (const name of names) await rm(join(workDir, name), { force: true, recursive: true });
  return names.length;
}

/** Renames a hashed and fsynced file to `path` in the spool and fsyncs the directory, so the rename survives power loss. */
async function renameIntoSpool(partial: string, path: string): Promise<void> {
  await rename(partial, path);
  fsyncDirectory(dirname(path));
}

/** Hashes and fsyncs a finished file, renames it into the spool as `<segmentId>.mp4` and fsyncs the directory. */
export async function moveIntoSpool(partial: string, spoolDir: string, segmentId: string): Promise<{ path: string; sha256: string; bytes: number }> {
  const { sha256, bytes } = await hashAndSync(partial);
  const path = join(spoolDir, `${segmentId}.mp4`);
  await renameIntoSpool(partial, path);
  return { path, sha256, bytes };
}

/**
 * Redacted segments of one camera run: the encoder's segment muxer writes `<runTag>-%06d.mp4` into the work
 * directory; a segment is complete once the next one exists (or the encoder has finished). Each complete one
 * is hashed, fsynced, renamed into the spool and its directory fsynced, then reported with its tally.
 */
export class CameraSegmenter {
  private readonly tallies: SegmentTally[] = [];
  private collecting: Promise<void> = Promise.resolve();
  private readonly framesPerSegment: number;

  constructor(private readonly options: SegmenterOptions) {
    this.framesPerSegment = options.segmentSeconds * options.fps;
  }

  /** Counts one emitted frame into its segment (frame i is in segment ⌊i / (S·fps)⌋, as the encoder cuts). */
  record(index: number, regions: readonly RedactedRegion[]): void {
    const k = Math.floor((index + 1e-6) / this.framesPerSegment);
    while (this.tallies.length <= k) this.tallies.push({ frames: 0, failClosedFrames: 0, regionsPerClass: {} });
    const tally = this.tallies[k] as SegmentTally;
    tally.frames += 1;
    for (const region of regions) {
      if (region.source === 'failclosed') tally.failClosedFrames += 1;
      else tally.regionsPerClass[region.class] = (tally.regionsPerClass[region.class] ?? 0) + 1;
    }
  }

  /** Moves every complete segment into the spool; `encoderDone` marks the last one complete too. Calls run one at a time. */
  collect(encoderDone: boolean): Promise<void> {
    const next = this.collecting.then(() => this.collectNow(encoderDone));
    this.collecting = next.catch(() => undefined);
    return next;
  }

  private async collectNow(encoderDone: boolean): Promise<void> {
    const prefix = `${this.options.runTag}-`;
    // Finished segments leave the directory, so a segment's number comes from its name, never its position.
    const indices = (await readdir(this.options.workDir))
      .filter((name) => name.startsWith(prefix) && name.endsWith('.mp4'))
      .map((name) => Number(name.slice(prefix.length, -'.mp4'.length)))
      .filter((k) => Number.isInteger(k))
      .sort((a, b) => a - b);
    const newest = indices.at(-1);
    for (const k of indices) {
      if (!encoderDone && k === newest) break;
      await this.finalize(join(this.options.workDir, `${prefix}${String(k).padStart(6, '0')}.mp4`), k);
    }
  }

  private async finalize(partial: string, k: number): Promise<void> {
    const { options } = this;
    const tally = this.tallies[k] ?? { frames: 0, failClosedFrames: 0, regionsPerClass: {} };
    const startMs = options.epochMs() + Math.round((k * this.framesPerSegment * 1000) / options.fps);
    const segmentId = segmentIdOf(options.cameraId, startMs);
    const path = join(options.spoolDir, `${segmentId}.mp4`);
    const segment: FinishedSegment = {
      segmentId, path, ...(await hashAndSync(partial)), startMs,
      endMs: startMs + Math.round((tally.frames * 1000) / options.fps),
      frames: tally.frames, failClosedFrames: tally.failClosedFrames, regionsPerClass: tally.regionsPerClass,
      masks: options.masks, width: options.width, height: options.height, fps: options.fps, detector: options.detector,
    };
    // The report goes first: a segment in the spool always has it, or its sidecar (see PENDING_REPORT_SUFFIX).
    writeFileDurably(pendingReportPathOf(path), JSON.stringify(segment), 0o640);
    await renameIntoSpool(partial, path);
    options.onSegment(segment);
  }
}
