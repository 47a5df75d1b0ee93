import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SensorStats } from '../../src/sensors/sensor-stats.js';
import { ManualClock } from '../../src/shared/clock.js';
import { createLogger } from '../../src/shared/logger.js';

function capture(): { lines: Array<Record<string, unknown>>; stream: Writable } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

describe('sensor drop accounting (H6)', () => {
  it('counts every drop but logs at most one line per filter and reason per interval', () => {
    const clock = new ManualClock();
    const { lines, stream } = capture();
    const stats = new SensorStats(clock, createLogger({ level: 'info' }, stream), 60_000);
    for (let i = 0; i < 500; i++) {
      stats.received('sensors/air/+/reading');
      stats.dropped('sensors/air/+/reading', 'not_json');
    }
    stats.dropped('sensors/air/+/reading', 'invalid_field', 'pm25');
    expect(lines).toHaveLength(2);
    clock.advance(60_000);
    stats.dropped('sensors/air/+/reading', 'not_json');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatchObject({ msg: 'sensor message dropped', filter: 'sensors/air/+/reading', reason: 'not_json', droppedSinceLastLine: 499 });
    expect(lines[1]).toMatchObject({ reason: 'invalid_field', field: 'pm25' });
    expect(stats.snapshot().topics['sensors/air/+/reading']).toMatchObject({ received: 500, dropped: { not_json: 501, invalid_field: 1 } });
  });
});
