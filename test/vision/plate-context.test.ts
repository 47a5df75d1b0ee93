import { describe, expect, it } from 'vitest';
import type { Detection, RgbImage } from '../../src/vision/detector.js';
import { searchPlates, type PlateSearchSpec } from '../../src/vision/plates/plate-search.js';
import type { TextRegion, TextRegionModel } from '../../src/vision/plates/text-region-model.js';
import type { PixelRect } from '../../src/vision/rgb-image.js';

const image: RgbImage = { width: 1280, height: 720, data: new Uint8Array(0) };
const region = (x: number, y: number, w: number, h: number, score = 0.95): TextRegion => ({ x, y, w, h, score });
const vehicle = (x: number, y: number, w: number, h: number): Detection => ({ cls: 'vehicle', score: 0.8, x, y, w, h });

/** A text model that returns scripted regions: one list for the whole-image pass, one for every vehicle band. */
function scriptedText(whole: TextRegion[], band: TextRegion[] = []): TextRegionModel {
  const run = async (source: RgbImage, crop: PixelRect): Promise<TextRegion[]> => (crop.width === source.width && crop.height === source.height ? whole : band);
  return { run } as unknown as TextRegionModel;
}

const spec = (withContext: boolean, withBands = false): PlateSearchSpec => ({
  wholeImageLongSide: 1280,
  vehicles: withBands ? { maxVehicles: 8, minScore: 0.3, targetWidth: 640, maxUpscale: 4, bandTop: 0.3 } : null,
  shape: { minAspect: 1.7, maxAspect: 10, minHeight: 3, minScore: 0.6, maxHeightShare: 0.2 },
  vehicleContext: withContext ? { outsideMinScore: 0.9, outsideMinAspect: 2.8, maxHeightPerVehicleWidth: 0.15 } : null,
});

describe('plates weighed against vehicle context', () => {
  const car = vehicle(400, 300, 300, 220);

  it('drops text in a vehicle taller than a plate of that vehicle could be, and keeps a plate-sized line', async () => {
    // 300 px wide car: a plate line is ≈ 15 px tall; 60 px tall "text" is lettering or body texture.
    const plate = region(500, 450, 80, 18);
    const lettering = region(420, 340, 200, 60);
    const found = await searchPlates(scriptedText([plate, lettering]), image, [car], spec(true));
    expect(found.map((p) => [p.x, p.h])).toEqual([[500, 18]]);
  });

  it('applies the same limit to text found in a vehicle band', async () => {
    const found = await searchPlates(scriptedText([], [region(500, 450, 80, 18), region(420, 400, 200, 60)]), image, [car], spec(true, true));
    expect(found.map((p) => p.h)).toEqual([18]);
  });

  it('keeps tall text in a vehicle cut by the image side, whose box is narrower than the vehicle', async () => {
    const cut = vehicle(0, 300, 150, 220);
    const found = await searchPlates(scriptedText([region(20, 420, 100, 40)]), image, [cut], spec(true));
    expect(found).toHaveLength(1);
  });

  it('keeps text outside vehicles only when it is a confident, full plate line', async () => {
    const line = region(900, 100, 90, 20, 0.95);
    const narrow = region(900, 200, 36, 20, 0.95);
    // A short word on a sign (2.5 heights wide) is narrower than a whole plate line (≥ 2.8 heights, EU lines ≥ 3.5).
    const word = region(900, 250, 50, 20, 0.97);
    const faint = region(900, 300, 90, 20, 0.8);
    const found = await searchPlates(scriptedText([line, narrow, word, faint]), image, [car], spec(true));
    expect(found.map((p) => p.y)).toEqual([100]);
  });

  it('judges the text by the widest vehicle it lies in (a near car in front of a far one)', async () => {
    const far = vehicle(480, 420, 140, 100);
    const near = vehicle(400, 300, 320, 240);
    const nearPlate = region(500, 440, 90, 30);
    expect(await searchPlates(scriptedText([nearPlate]), image, [far, near], spec(true))).toHaveLength(1);
    expect(await searchPlates(scriptedText([nearPlate]), image, [far], spec(true))).toEqual([]);
  });

  it('keeps every plate-shaped line without context rules', async () => {
    const found = await searchPlates(scriptedText([region(500, 450, 80, 18), region(420, 340, 200, 60), region(900, 200, 36, 20, 0.7)]), image, [car], spec(false));
    expect(found).toHaveLength(3);
  });
});
