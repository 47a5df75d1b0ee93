import { describe, expect, it } from 'vitest';
import { RepeatedFailureLog } from '../../src/shared/repeated-failure.js';
import { captureLogger } from '../pipeline/helpers.js';

describe('RepeatedFailureLog', () => {
  it('logs a lasting fault when it starts and when it changes, and the recovery with the failed turns', async () => {
    const { logger, entries } = captureLogger('info');
    const log = new RepeatedFailureLog(logger, { sink: 'postgres' }, 'outbox delivery loop');
    const full = new Error('database or disk is full');
    for (let turn = 0; turn < 50; turn += 1) log.failed(full, 'retrying after the poll interval');
    log.failed(new Error('disk I/O error'), 'retrying after the poll interval');
    log.succeeded();
    log.succeeded();
    log.failed(full, 'retrying after the poll interval');
    await new Promise((resolve) => setImmediate(resolve));
    expect(entries().map(({ level, msg, sink, failedTurns, err }) => ({ level, msg, sink, failedTurns, err: (err as { message: string } | undefined)?.message }))).toEqual([
      { level: 50, msg: 'outbox delivery loop failed; retrying after the poll interval (while this error repeats it is not logged again)', sink: 'postgres', failedTurns: undefined, err: 'database or disk is full' },
      { level: 50, msg: 'outbox delivery loop failed; retrying after the poll interval (while this error repeats it is not logged again)', sink: 'postgres', failedTurns: undefined, err: 'disk I/O error' },
      { level: 30, msg: 'outbox delivery loop works again', sink: 'postgres', failedTurns: 51, err: undefined },
      { level: 50, msg: 'outbox delivery loop failed; retrying after the poll interval (while this error repeats it is not logged again)', sink: 'postgres', failedTurns: undefined, err: 'database or disk is full' },
    ]);
  });
});
