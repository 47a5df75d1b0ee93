/**
 * In-place redaction of rectangular regions on yuv420p frames (luma plane, then the two half-size chroma
 * planes). Everything here runs per frame on the hot path: no allocation beyond a reused scratch row, no logging.
 */

export type RedactionStyle = 'pixelate' | 'blur' | 'fill';

/** A yuv420p frame: `data` holds Y (width × height), then U and V (ceil(width/2) × ceil(height/2) each). */
export interface YuvFrame {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Smallest pixelation block: below it a block still shows the shape of what it hides. */
export const MIN_BLOCK_PX = 8;
/** Block edge as a share of the region's shorter side (requirement A4: ≥ 1/6). */
const BLOCKS_PER_SHORT_SIDE = 6;

const BLACK_Y = 16;
const NEUTRAL_CHROMA = 128;

/** Pixelation block edge for a region: at least 1/6 of its shorter side and at least MIN_BLOCK_PX, even. */
export function pixelBlockSize(w: number, h: number): number {
  const raw = Math.max(MIN_BLOCK_PX, Math.ceil(Math.min(w, h) / BLOCKS_PER_SHORT_SIDE));
  return raw + (raw % 2);
}

interface Plane {
  data: Uint8Array;
  offset: number;
  stride: number;
  rows: number;
}

function planes(frame: YuvFrame): [Plane, Plane, Plane] {
  const cw = Math.ceil(frame.width / 2);
  const ch = Math.ceil(frame.height / 2);
  const ySize = frame.width * frame.height;
  return [
    { data: frame.data, offset: 0, stride: frame.width, rows: frame.height },
    { data: frame.data, offset: ySize, stride: cw, rows: ch },
    { data: frame.data, offset: ySize + cw * ch, stride: cw, rows: ch },
  ];
}

/** Clips to the frame and widens to even coordinates so luma and chroma blocks line up; null when empty. */
export function alignRegion(region: Rect, width: number, height: number): Rect | null {
  const x0 = Math.max(0, Math.floor(region.x / 2) * 2);
  const y0 = Math.max(0, Math.floor(region.y / 2) * 2);
  const x1 = Math.min(width, Math.ceil((region.x + region.w) / 2) * 2);
  const y1 = Math.min(height, Math.ceil((region.y + region.h) / 2) * 2);
  if (x1 <= x0 || y1 <= y0) return null;
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/** End of the block starting at `start`: a remainder smaller than a block joins the last block, so no block is under size. */
function blockEnd(start: number, end: number, block: number): number {
  const next = start + block;
  return end - next < block ? end : next;
}

function fillRect(plane: Plane, x0: number, y0: number, x1: number, y1: number, value: number): void {
  for (let y = y0; y < y1; y += 1) {
    const row = plane.offset + y * plane.stride;
    plane.data.fill(value, row + x0, row + x1);
  }
}

function averageRect(plane: Plane, x0: number, y0: number, x1: number, y1: number): number {
  let sum = 0;
  for (let y = y0; y < y1; y += 1) {
    const row = plane.offset + y * plane.stride;
    for (let x = row + x0; x < row + x1; x += 1) sum += plane.data[x] as number;
  }
  return Math.round(sum / ((x1 - x0) * (y1 - y0)));
}

function pixelate(frame: YuvFrame, r: Rect): void {
  const [y, u, v] = planes(frame);
  const block = pixelBlockSize(r.w, r.h);
  const xEnd = r.x + r.w;
  const yEnd = r.y + r.h;
  for (let by = r.y; by < yEnd; ) {
    const ny = blockEnd(by, yEnd, block);
    for (let bx = r.x; bx < xEnd; ) {
      const nx = blockEnd(bx, xEnd, block);
      fillRect(y, bx, by, nx, ny, averageRect(y, bx, by, nx, ny));
      const cx0 = bx >> 1;
      const cy0 = by >> 1;
      const cx1 = (nx + 1) >> 1;
      const cy1 = (ny + 1) >> 1;
      fillRect(u, cx0, cy0, cx1, cy1, averageRect(u, cx0, cy0, cx1, cy1));
      fillRect(v, cx0, cy0, cx1, cy1, averageRect(v, cx0, cy0, cx1, cy1));
      bx = nx;
    }
    by = ny;
  }
}

let scratch = new Uint8Array(4096);

function scratchOf(length: number): Uint8Array {
  if (scratch.length < length) scratch = new Uint8Array(length * 2);
  return scratch;
}

/** One box-blur pass along a line of `count` samples spaced `step` apart, via a running sum (O(n) per line). */
function blurLine(data: Uint8Array, start: number, step: number, count: number, radius: number): void {
  const line = scratchOf(count);
  for (let i = 0; i < count; i += 1) line[i] = data[start + i * step] as number;
  let sum = 0;
  for (let i = -radius; i <= radius; i += 1) sum += line[Math.min(count - 1, Math.max(0, i))] as number;
  const width = 2 * radius + 1;
  for (let i = 0; i < count; i += 1) {
    data[start + i * step] = Math.round(sum / width);
    sum += (line[Math.min(count - 1, i + radius + 1)] as number) - (line[Math.max(0, i - radius)] as number);
  }
}

function blurPlane(plane: Plane, x0: number, y0: number, x1: number, y1: number, radius: number): void {
  // Three box passes approximate a Gaussian; the wide radius keeps blur from being sharpened back.
  for (let pass = 0; pass < 3; pass += 1) {
    for (let y = y0; y < y1; y += 1) blurLine(plane.data, plane.offset + y * plane.stride + x0, 1, x1 - x0, radius);
    for (let x = x0; x < x1; x += 1) blurLine(plane.data, plane.offset + y0 * plane.stride + x, plane.stride, y1 - y0, radius);
  }
}

function blur(frame: YuvFrame, r: Rect): void {
  const [y, u, v] = planes(frame);
  const radius = Math.max(2, Math.ceil(Math.min(r.w, r.h) / 6));
  blurPlane(y, r.x, r.y, r.x + r.w, r.y + r.h, radius);
  const cr = Math.max(1, radius >> 1);
  const cx0 = r.x >> 1;
  const cy0 = r.y >> 1;
  const cx1 = (r.x + r.w + 1) >> 1;
  const cy1 = (r.y + r.h + 1) >> 1;
  blurPlane(u, cx0, cy0, cx1, cy1, cr);
  blurPlane(v, cx0, cy0, cx1, cy1, cr);
}

function fill(frame: YuvFrame, r: Rect): void {
  const [y, u, v] = planes(frame);
  fillRect(y, r.x, r.y, r.x + r.w, r.y + r.h, BLACK_Y);
  const cx0 = r.x >> 1;
  const cy0 = r.y >> 1;
  const cx1 = (r.x + r.w + 1) >> 1;
  const cy1 = (r.y + r.h + 1) >> 1;
  fillRect(u, cx0, cy0, cx1, cy1, NEUTRAL_CHROMA);
  fillRect(v, cx0, cy0, cx1, cy1, NEUTRAL_CHROMA);
}

/** Redacts one region in place; regions partly or wholly outside the frame are clipped. */
export function redactRegion(frame: YuvFrame, region: Rect, style: RedactionStyle): void {
  const aligned = alignRegion(region, frame.width, frame.height);
  if (aligned === null) return;
  switch (style) {
    case 'pixelate':
      pixelate(frame, aligned);
      return;
    case 'blur':
      blur(frame, aligned);
      return;
    case 'fill':
      fill(frame, aligned);
      return;
  }
}

/** Fail-closed redaction of a whole frame: solid fill, nothing of the original survives. */
export function redactWholeFrame(frame: YuvFrame): void {
  fill(frame, { x: 0, y: 0, w: frame.width, h: frame.height });
}
