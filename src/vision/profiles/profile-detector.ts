import type { Tensor3D } from '@tensorflow/tfjs';
import { clipBox, containment, padBox, suppress, type Padding } from '../box-ops.js';
import type { Detection, Detector, FrameInfo, ModelInfo, ObjectClass, RgbImage } from '../detector.js';
import { searchFaces, type FaceSearchSpec } from '../faces/face-search.js';
import { FaceBoxesOnnxModel } from '../faces/faceboxes-onnx-model.js';
import type { SsdFaceModel } from '../faces/ssd-face-model.js';
import { loadModelManifest, loadVerifiedModel } from '../models/model-manifest.js';
import type { CenterNetModel } from '../objects/centernet-model.js';
import { searchPlates, type PlateSearchSpec } from '../plates/plate-search.js';
import { TextRegionModel } from '../plates/text-region-model.js';
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
  /** Longest side of the analysis image the frame loop should deliver; 0 means the source resolution. */
  readonly analysisLongSide: number;
  readonly faces: FaceSearchSpec;
  readonly facePadding: Padding;
  /** Redact the head area of detected people whose face was not found (profile, turned away, too small). */
  readonly headFallback: HeadFallbackSpec | null;
  readonly plates: PlateSearchSpec;
  readonly platePadding: Padding;
  readonly objectMinScore: number;
  readonly onnx: OnnxSettings;
}

interface LoadedModels {
  ssd?: SsdFaceModel;
  faceBoxes?: FaceBoxesOnnxModel;
  centernet?: CenterNetModel;
  text?: TextRegionModel;
  /** The analysis image as a TF.js tensor, present when a TF.js model is loaded. */
  toTensor?: (image: RgbImage) => Tensor3D;
  infos: ModelInfo[];
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
    const tfjs = needObjects || needSsd ? await import('./tfjs-stage.js') : undefined;
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
    if (tfjs && needObjects) {
      const model = await loadVerifiedModel(modelsDir, 'centernet-coco', manifest);
      loaded.centernet = await tfjs.CenterNetModel.load(model);
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
    if (this.spec.analysisLongSide <= 0 || longest <= this.spec.analysisLongSide) return { width: sourceWidth, height: sourceHeight };
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
      const objects = this.loaded.centernet ? await this.loaded.centernet.run(tensorOf(), this.spec.objectMinScore) : [];
      const found: Detection[] = [];
      if (this.classes.has('face')) found.push(...(await this.findFaces(image, tensorOf, objects)));
      if (this.loaded.text && this.classes.has('plate')) {
        const plates = await searchPlates(this.loaded.text, image, objects, this.spec.plates);
        found.push(...suppress(plates.map((p) => padBox(p, this.spec.platePadding)), 0.3));
      }
      for (const cls of ['person', 'vehicle'] as const) {
        if (this.classes.has(cls)) found.push(...objects.filter((o) => o.cls === cls));
      }
      return found.flatMap((d) => clipBox(d, image.width, image.height) ?? []);
    } finally {
      tensor?.dispose();
    }
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
    this.loaded.centernet?.dispose();
    await this.loaded.text?.dispose();
  }
}
