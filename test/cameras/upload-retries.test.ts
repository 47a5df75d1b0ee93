import { afterEach, describe, expect, it, vi } from 'vitest';
import { UploadRetries } from '../../src/cameras/upload-retries.js';

describe('UploadRetries', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('doubles each job\'s delay up to the cap, starts again after forget, and calls nothing after stop', async () => {
    vi.useFakeTimers();
    // random() = 1: the delay is the whole ceiling (equal jitter would take half to all of it).
    const retries = new UploadRetries({ minMs: 1000, maxMs: 3000 }, () => 1);
    const calls: string[] = [];
    const retry = (id: string) => async () => {
      calls.push(id);
    };
    expect([1, 2, 3].map(() => retries.schedule('job_a', retry('a')))).toEqual([1000, 2000, 3000]);
    expect(retries.schedule('job_b', retry('b'))).toBe(1000);
    await vi.advanceTimersByTimeAsync(1000);
    // job_a was scheduled again before its first timer fired: only its latest delay (3 s) runs.
    expect(calls).toEqual(['b']);
    await vi.advanceTimersByTimeAsync(2000);
    expect(calls).toEqual(['b', 'a']);

    retries.forget('job_a');
    expect(retries.schedule('job_a', retry('a'))).toBe(1000);
    retries.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toEqual(['b', 'a']);
    expect(retries.schedule('job_c', retry('c'))).toBe(1000);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toEqual(['b', 'a']);
  });
});
