import { describe, expect, it } from 'vitest';
import { summarizeStderr } from '../../src/media/ffmpeg-process.js';

describe('summarizeStderr', () => {
  it.each([
    ['a\nb\nc\nd\n', 'b; c; d'],
    [
      '[mp4 @ 0x1] write failed\n    Last message repeated 17 times\nError writing trailer of out.mp4: No space left on device\nError closing file out.mp4: No space left on device\n',
      '[mp4 @ 0x1] write failed; Error writing trailer of out.mp4: No space left on device; Error closing file out.mp4: No space left on device',
    ],
    ['[rtsp @ 0x2] Last message repeated 1 time\nx\nx\nx\ny\n', 'x; y'],
    ['Connection to rtsp://admin:secret@10.0.0.5/live failed\n', 'Connection to rtsp://***@10.0.0.5/live failed'],
    ['', ''],
  ])('%j → %j', (tail, summary) => {
    expect(summarizeStderr(tail)).toBe(summary);
  });
});
