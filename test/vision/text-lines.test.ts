import { describe, expect, it } from 'vitest';
import { joinedLines, plateShaped, type TextRegion } from '../../src/vision/plates/text-region-model.js';

const region = (x: number, y: number, w: number, h: number, score = 0.9): TextRegion => ({ x, y, w, h, score });

describe('text line fragments', () => {
  it('joins the pieces of a spaced plate into one plate-shaped line', () => {
    // "B 10 SIT": the single letter and the two short groups each fail the plate shape on their own.
    const pieces = [region(100, 50, 14, 20, 0.8), region(124, 51, 26, 19, 0.9), region(160, 50, 30, 20, 1)];
    expect(plateShaped(pieces, 1.7, 10, 3)).toEqual([]);
    const [line, ...rest] = joinedLines(pieces);
    expect(rest).toEqual([]);
    expect(line).toMatchObject({ x: 100, y: 50, w: 90, h: 20 });
    const area = 14 * 20 + 26 * 19 + 30 * 20;
    expect(line?.score).toBeCloseTo((0.8 * 14 * 20 + 0.9 * 26 * 19 + 600) / area, 6);
    expect(plateShaped([line as TextRegion], 1.7, 10, 3)).toHaveLength(1);
  });

  it('keeps apart text of other heights, other rows and far along the row', () => {
    const plate = region(100, 50, 60, 20);
    expect(joinedLines([plate, region(165, 50, 40, 40)])).toEqual([]);
    expect(joinedLines([plate, region(100, 75, 60, 20)])).toEqual([]);
    expect(joinedLines([plate, region(190, 50, 60, 20)])).toEqual([]);
    expect(joinedLines([plate, region(175, 52, 60, 20)])).toHaveLength(1);
  });

  it('returns nothing for lone regions', () => {
    expect(joinedLines([region(0, 0, 50, 10)])).toEqual([]);
    expect(joinedLines([])).toEqual([]);
  });
});
