import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { GatewayError } from '../shared/errors.js';
import type { LabelBox } from './eval-scoring.js';

const labelBoxSchema = z.object({
  class: z.string(),
  x: z.number(),
  y: z.number(),
  w: z.number().nonnegative(),
  h: z.number().nonnegative(),
  ignore: z.boolean().optional(),
});

const labelsSchema = z.object({
  set: z.string().min(1),
  classes: z.array(z.string()).min(1),
  images: z.array(
    z.object({
      file: z.string().min(1),
      width: z.number().int().positive(),
      height: z.number().int().positive(),
      boxes: z.array(labelBoxSchema),
    }),
  ),
});

export interface EvalImage {
  /** Absolute path of the image file. */
  readonly path: string;
  readonly file: string;
  readonly width: number;
  readonly height: number;
  readonly boxes: readonly LabelBox[];
}

export interface EvalSet {
  readonly name: string;
  /** Classes this set is labelled for: only these are scored on it. */
  readonly classes: readonly string[];
  readonly images: readonly EvalImage[];
}

/** `limit` items spread evenly over the list (a representative quick subset, the same on every run). */
export function spread<T>(items: readonly T[], limit?: number): T[] {
  if (limit === undefined || limit >= items.length) return [...items];
  return Array.from({ length: Math.max(0, limit) }, (_, i) => items[Math.floor((i * items.length) / limit)] as T);
}

/** Reads a `labels.json` (the format of ../shared/eval); image paths resolve against its folder. */
export async function loadEvalSet(labelsPath: string, limit?: number): Promise<EvalSet> {
  let raw: string;
  try {
    raw = await readFile(labelsPath, 'utf8');
  } catch (error) {
    throw new GatewayError('PGW_ERR_INPUT_NOT_FOUND', `labels file '${labelsPath}' cannot be read`, { labelsPath }, { cause: error });
  }
  const parsed = labelsSchema.safeParse(JSON.parse(raw));
  if (!parsed.success) {
    throw new GatewayError('PGW_ERR_INPUT_INVALID', `labels file '${labelsPath}' is invalid: ${z.prettifyError(parsed.error)}`, { labelsPath });
  }
  const root = path.dirname(path.resolve(labelsPath));
  const images = spread(parsed.data.images, limit).map((image) => ({
    path: path.join(root, image.file),
    file: image.file,
    width: image.width,
    height: image.height,
    boxes: image.boxes.map((b) => ({ cls: b.class, x: b.x, y: b.y, w: b.w, h: b.h, ignore: b.ignore ?? false })),
  }));
  return { name: parsed.data.set, classes: parsed.data.classes, images };
}
