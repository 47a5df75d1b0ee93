/**
 * Pure value transformations used by the policy engine: coordinate, time and number coarsening and
 * free-text redaction. Nothing here keeps state or reads the clock.
 */

export interface Point {
  readonly lat: number;
  readonly lon: number;
}

function decimalsOf(step: number): number {
  const text = step.toString();
  if (text.includes('e-')) return Number(text.split('e-')[1]);
  const [, fraction = ''] = text.split('.');
  return fraction.length;
}

/** Rounds to `decimals` places; the result prints with at most that many decimals. */
export function roundTo(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  const rounded = Math.round(value * factor) / factor;
  return Object.is(rounded, -0) ? 0 : rounded;
}

/** Floors a coordinate to the south-west corner of a grid cell of `cellDeg` degrees. */
export function snapToGrid(value: number, cellDeg: number): number {
  const cell = Math.floor(value / cellDeg + 1e-9);
  return roundTo(cell * cellDeg, decimalsOf(cellDeg));
}

/** A10: no coordinate finer than `decimals` places (or than the grid). */
export function coarsenPoint(point: Point, options: { decimals: number; cellDeg?: number | undefined }): Point {
  if (options.cellDeg !== undefined) {
    const decimals = Math.min(options.decimals, decimalsOf(options.cellDeg));
    return { lat: roundTo(snapToGrid(point.lat, options.cellDeg), decimals), lon: roundTo(snapToGrid(point.lon, options.cellDeg), decimals) };
  }
  return { lat: roundTo(point.lat, options.decimals), lon: roundTo(point.lon, options.decimals) };
}

export function bucketTimestamp(epochMs: number, bucketMs: number): number {
  return Math.floor(epochMs / bucketMs) * bucketMs;
}

/** Floors a number to the lower edge of its bin. */
export function binNumber(value: number, binWidth: number): number {
  const edge = Math.floor(value / binWidth + 1e-9) * binWidth;
  return roundTo(edge, Math.min(decimalsOf(binWidth), 10));
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
/** Seven or more digits, optionally with a leading + and separators (spaces, dots, dashes, brackets). */
const PHONE = /(?<![\w])\+?\(?\d(?:[\s().-]*\d){6,14}(?![\w])/g;
/** Plate-like tokens: 5–8 characters mixing letters and digits (7XYZ123, abc1234). */
const PLATE_TOKEN = /\b(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{5,8}\b/gi;
/** Plate-like pairs: capital letters, a dash or space, digits (ABC-1234, NY 4821). */
const PLATE_PAIR = /\b[A-Z]{1,4}[ -]\d{2,5}\b/g;

/** Replaces emails, phone numbers and plate-like strings in free text (A7). */
export function redactText(text: string): string {
  return text.replace(EMAIL, '[email]').replace(PHONE, '[phone]').replace(PLATE_PAIR, '[plate]').replace(PLATE_TOKEN, '[plate]');
}

/** Canonical MAC form `aa:bb:cc:dd:ee:ff`, or undefined when the value is not a MAC. */
export function canonicalMac(value: string): string | undefined {
  const hex = value.toLowerCase().replace(/[^0-9a-f]/g, '');
  if (hex.length !== 12 || !/^[0-9a-f]{2}([-:.]?[0-9a-f]{2}){5}$|^[0-9a-f]{4}(\.[0-9a-f]{4}){2}$/i.test(value)) return undefined;
  return hex.match(/../g)?.join(':');
}
