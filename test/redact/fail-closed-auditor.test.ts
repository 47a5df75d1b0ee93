import { describe, expect, it } from 'vitest';
import { FailClosedAuditor } from '../../src/redact/fail-closed-auditor.js';
import { ManualClock } from '../../src/shared/clock.js';
import { GatewayError } from '../../src/shared/errors.js';
import type { AuditEvent } from '../../src/shared/ports.js';
import { captureLogger } from '../pipeline/helpers.js';

describe('FailClosedAuditor (A1: fail-closed frames are audited, rate-limited)', () => {
  it('audits the first frame at once, then sums frames into at most one event per interval', () => {
    const events: AuditEvent[] = [];
    const clock = new ManualClock();
    const auditor = new FailClosedAuditor({ append: (event) => events.push(event) }, clock, captureLogger().logger, 'camera:demo', 60_000);
    auditor.record();
    for (let i = 0; i < 100; i += 1) {
      clock.advance(100);
      auditor.record();
    }
    expect(events).toHaveLength(1);
    clock.advance(60_000);
    auditor.record();
    auditor.flush();
    expect(events.map((e) => e.details?.frames)).toEqual([1, 101]);
    expect(events[0]).toMatchObject({ actor: 'system:pipeline', action: 'pipeline.failclosed', object: 'camera:demo', outcome: 'failure' });
  });

  it('keeps redacting and logs when the audit store cannot write', () => {
    const capture = captureLogger();
    const auditor = new FailClosedAuditor(
      { append: () => { throw new GatewayError('PGW_ERR_AUDIT_UNAVAILABLE', 'disk full'); } },
      new ManualClock(),
      capture.logger,
      'camera:demo',
    );
    expect(() => auditor.record(3)).not.toThrow();
    expect(capture.messages()).toContain('fail-closed frames could not be audited');
  });
});
