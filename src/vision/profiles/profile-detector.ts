import type { Tensor3D } from '@tensorflow/tfjs';
import { clipBox, containment, nonMaxSuppression, padBox, suppress, type Padding } from '../box-ops.js';
import type { Box, Detection, Detector, FrameInfo, ModelInfo, ObjectClass, RgbImage } from '../detector.js';
import { searchFaces, type FaceSearchSpec } from '../faces/face-search.js';
import { FaceBoxesOnnxModel } from '../faces/faceboxes-onnx-model.js';
import type { SsdFaceModel } from '../faces/ssd-face-model.js';
import { loadModelManifest, loadVerifiedModel } from '../models/model-manifest.js';
import { CenterNetOnnxModel } from '../objects/centernet-onnx-model.js';
import { fitPlateFrame, type PlateFrameSpec } from '../plates/plate-frame.js';
import { searchPlates, type PlateSearchSpec } from '../plates/plate-search.js';
import { TextRegionModel } from '../plates/text-region-model.js';
import type { PixelRect } from '../rgb-image.js';
import type { OnnxSettings } from '../runtime/onnx-runtime.js';

export interface HeadFallbackSpec {
  readonly minScore: number;
  /** Head box relative to the person box: width share, and height as a share of the person's width. */
  readonly widthShare: number;
  readonly heightPerWidth: number;
  readonly score: number;
}

export interface ProfileSpec {
  readonly id: string;
  /** Longest side of the analysis image the frame loop should deliver; smaller sources are analysed as they are. */
  readonly analysisLongSide: number;
  readonly faces: FaceSearchSpec;
  readonly facePadding: Padding;
  /** Redact the head area of detected people whose face was not found (profile, turned away, too small). */
  readonly headFallback: HeadFallbackSpec | null;
  readonly plates: PlateSearchSpec;
  readonly platePadding: Padding;
  /** Pulls padded plate boxes in to the plate the image shows; null keeps the plain padding. */
  readonly plateFrame: PlateFrameSpec | null;
  readonly objectMinScore: number;
  /** Also run the object detector on overlapping tiles (small vehicles for plate search, small people). */
  readonly objectTiling: boolean;
  readonly onnx: OnnxSettings;
}

interface LoadedModels {
  ssd?: SsdFaceModel;
  faceBoxes?: FaceBoxesOnnxModel;
  centernet?: CenterNetOnnxModel;
  text?: TextRegionModel;
  /** The analysis image as a TF.js tensor, present when a TF.js model is loaded. */
  toTensor?: (image: RgbImage) => Tensor3D;
  infos: ModelInfo[];
}

/** Tiles about as tall as wide along the image's long side, overlapping by a quarter, or none for a square-ish image. */
export function overlappingTiles(image: RgbImage): PixelRect[] {
  const landscape = image.width >= image.height;
  const long = landscape ? image.width : image.height;
  const short = landscape ? image.height : image.width;
  const count = Math.round(long / short);
  if (count < 2) return [];
  const side = Math.min(long, Math.round((long / count) * 1.25));
  const step = (long - side) / (count - 1);
  return Array.from({ length: count }, (_, i) => {
    const start = Math.round(i * step);
    return landscape ? { left: start, top: 0, width: side, height: short } : { left: 0, top: start, width: short, height: side };
  });
}

const EDGE_MARGIN = 2;
const TILE_DUPLICATE_IOU = 0.5;

/**
 * One box per object from whole-image and tile detections: duplicates of the same class are suppressed, while a
 * person and the vehicle they stand in front of (or ride) both stay.
 */
export function mergeTileObjects(found: readonly Detection[]): Detection[] {
  const classes = [...new Set(found.map((box) => box.cls))];
  return classes.flatMap((cls) => nonMaxSuppression(found.filter((box) => box.cls === cls), TILE_DUPLICATE_IOU, Number.POSITIVE_INFINITY));
}

function cutByInnerEdge(box: Box, tile: PixelRect, image: RgbImage): boolean {
  const right = tile.left + tile.width;
  const bottom = tile.top + tile.height;
  return (
    (tile.left > 0 && box.x <= tile.left + EDGE_MARGIN) ||
    (tile.top > 0 && box.y <= tile.top + EDGE_MARGIN) ||
    (right < image.width && box.x + box.w >= right - EDGE_MARGIN) ||
    (bottom < image.height && box.y + box.h >= bottom - EDGE_MARGIN)
  );
}

/** Head area of a person box, for people whose face no detector found. */
function headOf(person: Detection, spec: HeadFallbackSpec): Detection {
  const w = person.w * spec.widthShare;
  const h = Math.min(person.h * 0.35, w * spec.heightPerWidth);
  return { cls: 'head', score: spec.score * person.score, x: person.x + (person.w - w) / 2, y: person.y, w, h };
}

/** A detector configured by a profile spec: faces (SSD whole + tiles, head fallback) and plates (text + vehicle context). */
export class ProfileDetector implements Detector {
  readonly id: string;
  readonly models: readonly ModelInfo[];

  private constructor(private readonly spec: ProfileSpec, private readonly classes: ReadonlySet<ObjectClass>, private readonly loaded: LoadedModels) {
    this.id = spec.id;
    this.models = loaded.infos;
  }

  static async create(spec: ProfileSpec, modelsDir: string, classes: readonly ObjectClass[]): Promise<ProfileDetector> {
    const manifest = await loadModelManifest(modelsDir);
    const wanted = new Set(classes);
    const loaded: LoadedModels = { infos: [] };
    const needObjects = (wanted.has('face') && spec.headFallback !== null) || (wanted.has('plate') && spec.plates.vehicles !== null);
    const needSsd = wanted.has('face') && spec.faces.ssdWholeImage;
    const tfjs = needSsd ? await import('./tfjs-stage.js') : undefined;
    if (tfjs) {
      await tfjs.initTfjsWasm();
      loaded.toTensor = tfjs.imageToTensor;
    }
    if (wanted.has('face') && spec.faces.faceBoxesPasses.length > 0) {
      const model = await loadVerifiedModel(modelsDir, 'faceboxes-onnx', manifest);
      loaded.faceBoxes = await FaceBoxesOnnxModel.load(model, spec.onnx);
      loaded.infos.push(model.info);
    }
    if (tfjs && needSsd) {
      const model = await loadVerifiedModel(modelsDir, 'ssd-mobilenetv1-face', manifest);
      loaded.ssd = await tfjs.SsdFaceModel.load(model);
      loaded.infos.push(model.info);
    }
    if (needObjects) {
      const model = await loadVerifiedModel(modelsDir, 'centernet-onnx', manifest);
      loaded.centernet = await CenterNetOnnxModel.load(model, spec.onnx);
      loaded.infos.push(model.info);
    }
    if (wanted.has('plate')) {
      const model = await loadVerifiedModel(modelsDir, 'ppocr-v4-det', manifest);
      loaded.text = await TextRegionModel.load(model, spec.onnx);
      loaded.infos.push(model.info);
    }
    return new ProfileDetector(spec, wanted, loaded);
  }

  inputSize(sourceWidth: number, sourceHeight: number): { width: number; height: number } {
    const longest = Math.max(sourceWidth, sourceHeight);
    if (longest <= this.spec.analysisLongSide) return { width: sourceWidth, height: sourceHeight };
    const scale = this.spec.analysisLongSide / longest;
    return { width: Math.max(2, Math.round((sourceWidth * scale) / 2) * 2), height: Math.max(2, Math.round((sourceHeight * scale) / 2) * 2) };
  }

  async detect(image: RgbImage, _frame: FrameInfo): Promise<Detection[]> {
    let tensor: Tensor3D | undefined;
    const tensorOf = (): Tensor3D => {
      if (!this.loaded.toTensor) throw new Error('no TF.js model is loaded for this profile');
      tensor ??= this.loaded.toTensor(image);
      return tensor;
    };
    try {
      const objects = await this.findObjects(image);
      const found: Detection[] = [];
      if (this.classes.has('face')) found.push(...(await this.findFaces(image, tensorOf, objects)));
      if (this.loaded.text && this.classes.has('plate')) {
        const plates = await searchPlates(this.loaded.text, image, objects, this.spec.plates);
        const { platePadding, plateFrame } = this.spec;
        found.push(...suppress(plates.map((p) => (plateFrame ? fitPlateFrame(image, p, platePadding, plateFrame) : padBox(p, platePadding))), 0.3));
      }
      for (const cls of ['person', 'vehicle'] as const) {
        if (this.classes.has(cls)) found.push(...objects.filter((o) => o.cls === cls));
      }
      return found.flatMap((d) => clipBox(d, image.width, image.height) ?? []);
    } finally {
      tensor?.dispose();
    }
  }

  /**
   * People and vehicles: the whole image, plus (with `objectTiling`) overlapping square-ish tiles across its
   * long side, where small, far vehicles and people are large enough for CenterNet's 512-px input.
   */
  private async findObjects(image: RgbImage): Promise<Detection[]> {
    const model = this.loaded.centernet;
    if (!model) return [];
    const found = await model.run(image, this.spec.objectMinScore);
    if (!this.spec.objectTiling) return found;
    for (const tile of overlappingTiles(image)) {
      const inTile = await model.run(image, this.spec.objectMinScore, tile);
      // An object cut by a tile's inner edge is only part of one; the whole image or the next tile has all of it.
      found.push(...inTile.filter((box) => !cutByInnerEdge(box, tile, image)));
    }
    return mergeTileObjects(found);
  }

  private async findFaces(image: RgbImage, tensorOf: () => Tensor3D, objects: readonly Detection[]): Promise<Detection[]> {
    const raw = await searchFaces(this.loaded, image, tensorOf, this.spec.faces);
    const faces = suppress(raw, 0.4).map((f) => padBox(f, this.spec.facePadding));
    const fallback = this.spec.headFallback;
    if (!fallback) return faces;
    const heads = objects
      .filter((o) => o.cls === 'person' && o.score >= fallback.minScore)
      .map((person) => headOf(person, fallback))
      .filter((head) => !faces.some((face) => containment(face, head) > 0.3));
    return [...faces, ...heads];
  }

  async dispose(): Promise<void> {
    this.loaded.ssd?.dispose();
    await this.loaded.faceBoxes?.dispose();
    await this.loaded.centernet?.dispose();
    await this.loaded.text?.dispose();
  }
}
