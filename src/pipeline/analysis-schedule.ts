/**
 * Offline analysis schedule (DESIGN.md §6): which frames are analysed is a function of video time only, so
 * the result never depends on machine speed. With `analysisFps` n, the first frame of every 1/n-second slot
 * of video time is analysed; with 'all', every frame.
 */
export function isScheduledForAnalysis(index: number, fps: number, analysisFps: number | 'all'): boolean {
  if (analysisFps === 'all' || analysisFps >= fps || index === 0) return true;
  // A small epsilon keeps exact slot boundaries (e.g. frame 5 at 25 fps, 10 per second) on the right side.
  const slot = (i: number): number => Math.floor((i * analysisFps) / fps + 1e-9);
  return slot(index) > slot(index - 1);
}

/** The first frame after `index` that the offline schedule analyses. */
export function nextScheduledIndex(index: number, fps: number, analysisFps: number | 'all'): number {
  let next = index + 1;
  while (!isScheduledForAnalysis(next, fps, analysisFps)) next += 1;
  return next;
}

/**
 * The offline schedule as an ffmpeg `select` expression over the frame number `n`, so that the decoder converts and
 * sends only the frames that will be analysed; undefined when every frame is. The arithmetic is the same as
 * isScheduledForAnalysis's, in the same order on the same doubles, so both pick the same frames.
 */
export function scheduleSelectExpression(fps: number, analysisFps: number | 'all'): string | undefined {
  if (analysisFps === 'all' || analysisFps >= fps) return undefined;
  const slot = (n: string): string => `floor(${n}*${String(analysisFps)}/${String(fps)}+1e-9)`;
  return `eq(n,0)+gt(${slot('n')},${slot('(n-1)')})`;
}

/** Stream time of frame `index` at a constant rate, in milliseconds. */
export function frameTimeMs(index: number, fps: number): number {
  return (index * 1000) / fps;
}
