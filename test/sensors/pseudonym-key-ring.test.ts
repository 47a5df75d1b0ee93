import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PseudonymKeyRing } from '../../src/sensors/pseudonym-key-ring.js';
import { ManualClock } from '../../src/shared/clock.js';

const DAY = 86_400_000;

describe('A8 rotating pseudonyms', () => {
  it('gives the same token within a period and a different one after rotation', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 0, 0, 1));
    const ring = new PseudonymKeyRing({ clock, periodMs: DAY });
    const first = ring.pseudonymize('aa:bb:cc:00:00:01');
    clock.advance(DAY - 2000);
    expect(ring.pseudonymize('aa:bb:cc:00:00:01')).toBe(first);
    expect(ring.pseudonymize('aa:bb:cc:00:00:02')).not.toBe(first);
    clock.advance(2000);
    const next = ring.pseudonymize('aa:bb:cc:00:00:01');
    expect(next).not.toBe(first);
    expect(next).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('discards the expired key: it is zeroed and no longer held', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const issued: Buffer[] = [];
    const ring = new PseudonymKeyRing({
      clock,
      periodMs: DAY,
      randomKey: (bytes) => {
        const key = randomBytes(bytes);
        issued.push(key);
        return key;
      },
    });
    ring.pseudonymize('x');
    expect(ring.heldKeys()).toBe(1);
    expect(issued[0]?.every((byte) => byte === 0)).toBe(false);
    clock.advance(DAY);
    ring.pseudonymize('x');
    expect(issued).toHaveLength(2);
    expect(issued[0]?.every((byte) => byte === 0)).toBe(true);
    expect(ring.heldKeys()).toBe(1);
    expect(ring.heldPeriod()).toBe(ring.periodOf(clock.now()));
    ring.discard();
    expect(ring.heldKeys()).toBe(0);
    expect(issued[1]?.every((byte) => byte === 0)).toBe(true);
  });

  it('two gateways (or one after a restart) do not share tokens', () => {
    const clock = new ManualClock();
    const a = new PseudonymKeyRing({ clock, periodMs: DAY });
    const b = new PseudonymKeyRing({ clock, periodMs: DAY });
    expect(a.pseudonymize('aa:bb:cc:00:00:01')).not.toBe(b.pseudonymize('aa:bb:cc:00:00:01'));
  });
});
