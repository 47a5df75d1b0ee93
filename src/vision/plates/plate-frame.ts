import { padBox, type Padding } from '../box-ops.js';
import type { Detection, RgbImage } from '../detector.js';

/**
 * How a padded plate box is fitted to the plate the image shows. A text box stops at the characters, so a fixed
 * padding must reach the frame of the tallest plates (US plates carry a state name and a slogan above and below
 * the characters) and hides up to twice a tight plate's area on most others. A plate is a flat background around
 * its characters: where that background ends within the padding's reach, the box ends there plus a margin.
 */
export interface PlateFrameSpec {
  /** A row or column of pixels leaves the plate when its median luma differs from the plate's background by more than this share of the plate's contrast. */
  readonly tolerance: number;
  /** The plate ends where at least this many character heights of consecutive rows (columns) leave it: thin borders, bolts and sparse lettering do not end it. */
  readonly edgeRun: number;
  /** Kept beyond a fitted edge, in character heights: above and below, and left and right (an EU country band, a frame). */
  readonly verticalMargin: number;
  readonly horizontalMargin: number;
}

/** Plates dimmer than this (luma levels between the dark characters and the background) are not fitted: the default padding stands. */
const MIN_CONTRAST = 40;
const MIN_TOLERANCE = 15;
const MIN_RUN = 2;
/** The plate's background and contrast are sampled on the text box's inner columns (its ends may be frame or band). */
const INNER = 0.1;
/** Edges are searched from this many character heights outside the text box (its rim is still character). */
const START_GAP = 0.05;
/** Sideways, an edge is searched over this share of the text box's width beyond each end. */
const HORIZONTAL_REACH = 0.2;
/** Columns are read over the text box's middle rows (character strokes, not the gaps above and below them). */
const MIDDLE_ROWS = { from: 0.15, to: 0.85 };
/** Margins never shrink below this many pixels (small plates, a rounding error). */
const MIN_MARGIN_PX = 1.5;

interface PlateTone {
  readonly background: number;
  readonly tolerance: number;
}

/** Reused across calls (the detector worker fits every plate of every analysed frame); grown on demand. */
const buffers = { tone: new Uint8Array(4096), line: new Uint8Array(2048) };

function grown(buffer: 'tone' | 'line', length: number): Uint8Array {
  if (buffers[buffer].length < length) buffers[buffer] = new Uint8Array(length * 2);
  return buffers[buffer];
}

function lumaAt(image: RgbImage, x: number, y: number): number {
  const i = (y * image.width + x) * 3;
  return (image.data[i]! * 77 + image.data[i + 1]! * 150 + image.data[i + 2]! * 29) >> 8;
}

/** Median luma of the pixels of row `y` over columns [x0, x1), or of column `x` over rows [y0, y1). */
function lineMedian(image: RgbImage, scratch: Uint8Array, fixed: number, from: number, to: number, alongRow: boolean): number {
  const n = to - from;
  for (let k = 0; k < n; k++) scratch[k] = alongRow ? lumaAt(image, from + k, fixed) : lumaAt(image, fixed, from + k);
  return scratch.subarray(0, n).sort()[n >> 1]!;
}

/** Dark characters on a light plate: the background is the text box's bright tail; null when the contrast is too low to tell. */
function plateTone(image: RgbImage, x0: number, x1: number, y0: number, y1: number, spec: PlateFrameSpec): PlateTone | null {
  const count = Math.max(0, (x1 - x0) * (y1 - y0));
  if (count < 20) return null;
  const values = grown('tone', count).subarray(0, count);
  let k = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) values[k++] = lumaAt(image, x, y);
  values.sort();
  const dark = values[Math.floor(values.length * 0.1)]!;
  const background = values[Math.floor(values.length * 0.9)]!;
  if (background - dark < MIN_CONTRAST) return null;
  return { background, tolerance: Math.max(MIN_TOLERANCE, spec.tolerance * (background - dark)) };
}

interface EdgeSearch {
  readonly from: number;
  readonly dir: 1 | -1;
  readonly reach: number;
  readonly run: number;
  readonly limit: number;
  readonly median: (line: number) => number;
}

/** The first line, walking from `from` in `dir`, of a run of `run` lines that leave the plate; null when none starts within `reach`. */
function findEdge(search: EdgeSearch, tone: PlateTone): number | null {
  const { from, dir, reach, run, limit, median } = search;
  let length = 0;
  for (let step = 0; step <= reach + run; step++) {
    const line = from + dir * step;
    if (line < 0 || line >= limit) return length > 0 ? line - dir * length : null;
    if (Math.abs(median(line) - tone.background) > tone.tolerance) {
      length += 1;
      if (length >= run) return line - dir * (run - 1);
    } else {
      length = 0;
      if (step > reach) return null;
    }
  }
  return null;
}

/**
 * The redaction box for plate-shaped text `text`: `padding` about it, with each side pulled in to where the plate's
 * background ends (plus a margin) when that edge lies within the padding's reach. Never larger than the padded box
 * and never inside the text box.
 */
export function fitPlateFrame(image: RgbImage, text: Detection, padding: Padding, spec: PlateFrameSpec): Detection {
  const padded = padBox(text, padding);
  const x0 = Math.max(0, Math.round(text.x + text.w * INNER));
  const x1 = Math.min(image.width, Math.round(text.x + text.w * (1 - INNER)));
  const y0 = Math.max(0, Math.round(text.y));
  const y1 = Math.min(image.height, Math.round(text.y + text.h));
  const tone = plateTone(image, x0, x1, y0, y1, spec);
  if (!tone) return padded;
  const scratch = grown('line', Math.max(image.width, image.height));
  const run = Math.max(MIN_RUN, Math.round(spec.edgeRun * text.h));
  const gap = Math.round(START_GAP * text.h);
  const vertical = { run, limit: image.height, reach: Math.round(((padding.scaleH - 1) / 2) * text.h), median: (y: number) => lineMedian(image, scratch, y, x0, x1, true) };
  const ry0 = Math.max(0, Math.round(text.y + text.h * MIDDLE_ROWS.from));
  const ry1 = Math.min(image.height, Math.round(text.y + text.h * MIDDLE_ROWS.to));
  const horizontal = { run, limit: image.width, reach: Math.round(HORIZONTAL_REACH * text.w), median: (x: number) => lineMedian(image, scratch, x, ry0, ry1, false) };
  const top = findEdge({ ...vertical, from: Math.round(text.y) - gap, dir: -1 }, tone);
  const bottom = findEdge({ ...vertical, from: Math.round(text.y + text.h) + gap, dir: 1 }, tone);
  const left = ry1 > ry0 ? findEdge({ ...horizontal, from: Math.round(text.x) - gap, dir: -1 }, tone) : null;
  const right = ry1 > ry0 ? findEdge({ ...horizontal, from: Math.round(text.x + text.w) + gap, dir: 1 }, tone) : null;
  const vMargin = Math.max(MIN_MARGIN_PX, spec.verticalMargin * text.h);
  const hMargin = Math.max(MIN_MARGIN_PX, spec.horizontalMargin * text.h);
  const boxTop = top === null ? padded.y : Math.max(padded.y, Math.min(top - vMargin, text.y));
  const boxBottom = bottom === null ? padded.y + padded.h : Math.min(padded.y + padded.h, Math.max(bottom + vMargin, text.y + text.h));
  const boxLeft = left === null ? padded.x : Math.max(padded.x, Math.min(left - hMargin, text.x));
  const boxRight = right === null ? padded.x + padded.w : Math.min(padded.x + padded.w, Math.max(right + hMargin, text.x + text.w));
  return { ...padded, x: boxLeft, y: boxTop, w: boxRight - boxLeft, h: boxBottom - boxTop };
}
