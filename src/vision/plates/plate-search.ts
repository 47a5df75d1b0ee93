import { clipBox, containment } from '../box-ops.js';
import type { Box, Detection, RgbImage } from '../detector.js';
import { clampCrop } from '../rgb-image.js';
import { joinedLines, plateShaped, type TextRegionModel } from './text-region-model.js';

export interface PlateShape {
  /** Width / height of a plate's character line (single-line EU plates ≈ 4–7, two-line and square plates ≈ 1–2). */
  readonly minAspect: number;
  readonly maxAspect: number;
  /** Text lines shorter than this (analysis pixels at the pass's scale) are noise. */
  readonly minHeight: number;
  readonly minScore: number;
  /** Text taller than this share of the image height is a sign or a banner, not a plate. */
  readonly maxHeightShare: number;
}

export interface PlateSearchSpec {
  /** Longest side of the whole-image text pass, or 0 to skip it. */
  readonly wholeImageLongSide: number;
  /** Text passes on the lower part of vehicle boxes, magnified so that small, far plates become legible. */
  readonly vehicles: {
    readonly maxVehicles: number;
    readonly minScore: number;
    /** Vehicle crops are scaled so their width is at least this (and magnified at most `maxUpscale`). */
    readonly targetWidth: number;
    readonly maxUpscale: number;
    /** Share of the vehicle box height, from the top, above which plates are not searched. */
    readonly bandTop: number;
  } | null;
  readonly shape: PlateShape;
  /** Rules that weigh text against the detected vehicles (signs and shop fronts are text too); null keeps all plate-shaped text. */
  readonly vehicleContext: VehicleContextSpec | null;
}

export interface VehicleContextSpec {
  /** Whole-image text outside every vehicle box is kept only at or above this score… */
  readonly outsideMinScore: number;
  /**
   * …and only as wide as this many heights, the width of a whole plate's character line (US ≈ 3, EU ≥ 3.5): a
   * narrower line is a plate read in part only inside a vehicle, and outside one it is mostly a short word on a sign.
   */
  readonly outsideMinAspect: number;
  /**
   * Text in a vehicle is no taller than this share of the vehicle's width: a plate's characters are ≈ 0.05 of a
   * car's width, lettering and body texture mapped as text are taller. Not applied to a vehicle cut by the
   * image's side (its box is narrower than the vehicle).
   */
  readonly maxHeightPerVehicleWidth: number;
}

/** Vehicles at or above this score give plate context; a text box belongs to one when mostly inside it. */
const CONTEXT_VEHICLE_MIN_SCORE = 0.2;
const CONTEXT_CONTAINMENT = 0.5;
/** A vehicle box this close to the image's left or right side is taken to be cut by it. */
const SIDE_MARGIN = 2;

async function textPass(text: TextRegionModel, image: RgbImage, crop: Box, scale: number, shape: PlateShape): Promise<Detection[]> {
  const regions = await text.run(image, clampCrop(image, crop), scale, shape.minScore);
  const maxHeight = shape.maxHeightShare * image.height;
  // minHeight is in pixels at the pass's scale; regions come back in image pixels.
  return plateShaped([...regions, ...joinedLines(regions)], shape.minAspect, shape.maxAspect, shape.minHeight / scale).filter((plate) => plate.h <= maxHeight);
}

/** The widest vehicle a text box lies mostly inside, if any. */
function vehicleOf(plate: Box, vehicles: readonly Detection[]): Detection | undefined {
  let widest: Detection | undefined;
  for (const v of vehicles) {
    if (v.cls !== 'vehicle' || v.score < CONTEXT_VEHICLE_MIN_SCORE || containment(plate, v) <= CONTEXT_CONTAINMENT) continue;
    if (!widest || v.w > widest.w) widest = v;
  }
  return widest;
}

/** Whether plate-shaped text can be a plate, given the vehicles around it (see `VehicleContextSpec`). */
function fitsVehicleContext(plate: Detection, wholeImagePass: boolean, vehicles: readonly Detection[], imageWidth: number, spec: VehicleContextSpec): boolean {
  const vehicle = vehicleOf(plate, vehicles);
  if (!vehicle) return !wholeImagePass || (plate.score >= spec.outsideMinScore && plate.w >= plate.h * spec.outsideMinAspect);
  const cutBySide = vehicle.x <= SIDE_MARGIN || vehicle.x + vehicle.w >= imageWidth - SIDE_MARGIN;
  return cutBySide || plate.h <= vehicle.w * spec.maxHeightPerVehicleWidth;
}

/** Plate-shaped text on the whole image and in vehicle bands, in `image` pixels, unpadded (tight on characters). */
export async function searchPlates(text: TextRegionModel, image: RgbImage, vehicles: readonly Detection[], spec: PlateSearchSpec): Promise<Detection[]> {
  const { width, height } = image;
  const context = spec.vehicleContext;
  const inContext = (plates: Detection[], wholeImagePass: boolean): Detection[] =>
    context ? plates.filter((plate) => fitsVehicleContext(plate, wholeImagePass, vehicles, width, context)) : plates;
  const found: Detection[] = [];
  if (spec.wholeImageLongSide > 0) {
    const scale = Math.min(1, spec.wholeImageLongSide / Math.max(width, height));
    found.push(...inContext(await textPass(text, image, { x: 0, y: 0, w: width, h: height }, scale, spec.shape), true));
  }
  if (!spec.vehicles) return found;
  const band = spec.vehicles;
  const candidates = vehicles
    .filter((v) => v.cls === 'vehicle' && v.score >= band.minScore)
    .sort((a, b) => b.score - a.score)
    .slice(0, band.maxVehicles);
  for (const vehicle of candidates) {
    const crop = clipBox({ x: vehicle.x - vehicle.w * 0.05, y: vehicle.y + vehicle.h * band.bandTop, w: vehicle.w * 1.1, h: vehicle.h * (1.1 - band.bandTop) }, width, height);
    if (!crop) continue;
    const scale = Math.min(band.maxUpscale, Math.max(1, band.targetWidth / crop.w));
    found.push(...inContext(await textPass(text, image, crop, scale, spec.shape), false));
  }
  return found;
}
