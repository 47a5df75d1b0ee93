import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkAgainstBaseline, type EvalReport } from '../../src/cli/eval-report.js';
import { evaluateSet, type EvalRegion } from '../../src/cli/eval-run.js';
import { aggregate, coverage, scoreImage, sizeBucket, unionAreaWithin, type LabelBox } from '../../src/cli/eval-scoring.js';
import { loadEvalSet, spread } from '../../src/cli/eval-sets.js';

const face = (x: number, y: number, w: number, h: number, ignore = false): LabelBox => ({ cls: 'face', x, y, w, h, ignore });

describe('coverage', () => {
  it('computes the exact union area of overlapping regions inside a box', () => {
    const box = { x: 0, y: 0, w: 10, h: 10 };
    expect(unionAreaWithin([{ x: 0, y: 0, w: 6, h: 10 }, { x: 4, y: 0, w: 6, h: 10 }], box)).toBe(100);
    expect(unionAreaWithin([{ x: -5, y: -5, w: 10, h: 10 }], box)).toBe(25);
    expect(coverage(box, [{ x: 0, y: 0, w: 10, h: 8.9 }])).toBeCloseTo(0.89);
    expect(coverage(box, [])).toBe(0);
  });
});

describe('size buckets', () => {
  it('uses the short side with half-open buckets', () => {
    expect(sizeBucket({ x: 0, y: 0, w: 9.9, h: 50 })).toBe('<10');
    expect(sizeBucket({ x: 0, y: 0, w: 10, h: 10 })).toBe('10-32');
    expect(sizeBucket({ x: 0, y: 0, w: 40, h: 31.9 })).toBe('10-32');
    expect(sizeBucket({ x: 0, y: 0, w: 32, h: 32 })).toBe('>=32');
  });
});

describe('scoreImage', () => {
  it('counts a box as redacted at ≥ 90 % coverage and excludes ignore boxes from recall and precision', () => {
    const labels = [face(0, 0, 10, 10), face(20, 0, 40, 40), face(70, 0, 20, 20, true)];
    const regions = [
      { x: 0, y: 0, w: 10, h: 9 }, // 90 % of the small face: counts
      { x: 20, y: 0, w: 40, h: 20 }, // 50 % of the large face: does not count
      { x: 70, y: 0, w: 20, h: 20 }, // on the ignore box: neither true nor false positive
      { x: 0, y: 50, w: 10, h: 10 }, // on nothing: false positive area
    ];
    const score = scoreImage(labels, regions, 100, 100);
    expect(score.boxes).toEqual([
      { bucket: '10-32', covered: true, coverage: 0.9 },
      { bucket: '>=32', covered: false, coverage: 0.5 },
    ]);
    expect(score.truePositiveArea).toBe(90 + 800);
    expect(score.redactedArea).toBe(90 + 800 + 100);
  });

  it('aggregates recall per size bucket and precision over the whole set', () => {
    const a = scoreImage([face(0, 0, 5, 5), face(10, 10, 40, 40)], [{ x: 10, y: 10, w: 40, h: 40 }], 100, 100);
    const b = scoreImage([face(0, 0, 20, 20)], [{ x: 50, y: 50, w: 20, h: 20 }], 100, 100);
    const set = aggregate([a, b]);
    expect(set.boxes).toBe(3);
    expect(set.recall).toBeCloseTo(1 / 3);
    expect(set.byBucket['<10']).toEqual({ boxes: 1, recall: 0 });
    expect(set.byBucket['10-32']).toEqual({ boxes: 1, recall: 0 });
    expect(set.byBucket['>=32']).toEqual({ boxes: 1, recall: 1 });
    expect(set.precision).toBeCloseTo(1600 / 2000);
  });
});

describe('evaluateSet on a hand-made label file', () => {
  it('scores regions from the redaction path against the labels, counting head regions for faces', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pgw-eval-'));
    try {
      const labels = {
        set: 'tiny',
        classes: ['face'],
        images: [
          { file: 'a.jpg', width: 100, height: 100, boxes: [{ class: 'face', x: 10, y: 10, w: 20, h: 20 }, { class: 'face', x: 60, y: 60, w: 8, h: 8, ignore: true }] },
          { file: 'b.jpg', width: 100, height: 100, boxes: [{ class: 'face', x: 0, y: 0, w: 50, h: 50 }] },
        ],
      };
      await writeFile(path.join(dir, 'labels.json'), JSON.stringify(labels));
      const set = await loadEvalSet(path.join(dir, 'labels.json'));
      const answers: Record<string, EvalRegion[]> = {
        'a.jpg': [{ x: 8, y: 8, w: 24, h: 24, class: 'head', score: 0.5 }, { x: 60, y: 60, w: 8, h: 8, class: 'face', score: 0.9 }],
        'b.jpg': [{ x: 0, y: 0, w: 50, h: 50, class: 'plate', score: 0.9 }],
      };
      const results = await evaluateSet(set, async (imagePath) => ({ regions: answers[path.basename(imagePath)] ?? [], detectMs: 10 }));
      expect(results).toHaveLength(1);
      const [result] = results;
      expect(result?.score.byBucket['10-32']).toEqual({ boxes: 1, recall: 1 });
      expect(result?.score.byBucket['>=32']).toEqual({ boxes: 1, recall: 0 });
      expect(result?.score.precision).toBeCloseTo(400 / 576);
      expect(result?.meanDetectMs).toBe(10);

      const report: EvalReport = { profile: 'thorough', harness: 'test', results };
      expect(checkAgainstBaseline(report, { thorough: { tiny: { face: { recall: 0.5, buckets: { '>=32': 0 } } } } })).toEqual([]);
      expect(checkAgainstBaseline(report, { thorough: { tiny: { face: { buckets: { '>=32': 0.5 } } } } })).toHaveLength(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('picks a limited subset spread over the whole set', () => {
    expect(spread([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 3)).toEqual([0, 3, 6]);
    expect(spread([1, 2], 5)).toEqual([1, 2]);
  });
});
