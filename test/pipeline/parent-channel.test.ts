import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CHILD = fileURLToPath(new URL('./fixtures/parent-channel-child.ts', import.meta.url));

/** What a parent receives from the fixture child before the channel closes. */
async function receive(count: number, bytes: number, mode = 'last'): Promise<{ bulk: number; last: boolean; exitCode: number | null }> {
  const child = fork(CHILD, [String(count), String(bytes), mode], { execArgv: ['--import', 'tsx'], serialization: 'advanced' });
  let bulk = 0;
  let last = false;
  child.on('message', (message: { type: string }) => {
    if (message.type === 'bulk') bulk += 1;
    else last = true;
  });
  const exitCode = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  await new Promise((resolve) => (child.connected ? child.once('disconnect', resolve) : resolve(undefined)));
  return { bulk, last, exitCode };
}

describe('a camera process closing its channel to the gateway', () => {
  it('delivers every message queued behind large ones before it disconnects', async () => {
    // 20 × 200 kB is far more than a pipe holds: with a bare process.disconnect() the parent got 1–2 of them
    // and never the last message.
    const received = await receive(20, 200_000);
    expect(received).toEqual({ bulk: 20, last: true, exitCode: 0 });
  });

  it('closes at once and exits when it has sent nothing (nothing to wait for)', async () => {
    expect(await receive(0, 0, 'silent')).toEqual({ bulk: 0, last: false, exitCode: 0 });
  });
});
