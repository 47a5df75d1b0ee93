import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { PolicySetInput } from '../../../src/sensors/policy-schema.js';
import type { SensorForwarder } from '../../../src/sensors/sensor-forwarders.js';
import { SensorService, type SensorServiceConfig } from '../../../src/sensors/sensor-service.js';
import type { Clock } from '../../../src/shared/clock.js';
import { GatewayError } from '../../../src/shared/errors.js';
import { silentLogger } from '../../../src/shared/logger.js';
import type { AuditEvent, AuditPort } from '../../../src/shared/ports.js';
import type { TestBroker } from './brokers.js';

export class RecordingAudit implements AuditPort {
  readonly events: AuditEvent[] = [];
  available = true;

  append(event: AuditEvent): void {
    if (!this.available) throw new GatewayError('PGW_ERR_AUDIT_UNAVAILABLE', 'audit store unavailable');
    this.events.push(event);
  }
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `pgw-sensors-${prefix}-`));
}

/** A unique topic root per test, so tests never see each other's (or anyone's) traffic on a shared broker. */
export function uniqueRoot(): string {
  return `pgw-test/${randomUUID().slice(0, 8)}`;
}

export function writePolicyDir(policies: PolicySetInput['policies']): string {
  const dir = tempDir('policies');
  for (const policy of policies) writeFileSync(join(dir, `${policy.id}.yaml`), JSON.stringify(policy));
  return dir;
}

export interface ServiceSetup {
  broker: TestBroker;
  root: string;
  policyDir: string;
  dataDir: string;
  clientId: string;
  clock: Clock;
  forwarder: SensorForwarder;
  audit?: AuditPort;
  drainTimeoutMs?: number;
}

export function sensorConfig(setup: Pick<ServiceSetup, 'broker' | 'root' | 'policyDir' | 'clientId'>): SensorServiceConfig {
  return {
    mqttUrl: setup.broker.url,
    clientId: setup.clientId,
    protocolVersion: setup.broker.protocolVersion,
    topics: [`${setup.root}/#`],
    sessionExpirySec: 600,
    reconnectMinMs: 100,
    reconnectMaxMs: 1000,
    receiveMaximum: 32,
    maxPayloadBytes: 2048,
    policyDir: setup.policyDir,
    pseudonymRotationMs: 86_400_000,
    aggregateGraceMs: 60_000,
    dropLogIntervalMs: 60_000,
  };
}

export function createService(setup: ServiceSetup): SensorService {
  return new SensorService({
    config: sensorConfig(setup),
    dataDir: setup.dataDir,
    logger: silentLogger(),
    clock: setup.clock,
    audit: setup.audit ?? new RecordingAudit(),
    forwarder: setup.forwarder,
    flushIntervalMs: 60_000,
    ...(setup.drainTimeoutMs === undefined ? {} : { drainTimeoutMs: setup.drainTimeoutMs }),
  });
}

export async function publisher(broker: TestBroker): Promise<MqttClient> {
  return mqtt.connectAsync(broker.url, { protocolVersion: broker.protocolVersion, clientId: `pgw-test-pub-${randomUUID().slice(0, 8)}`, reconnectPeriod: 100 });
}

/** Removes the persistent session a test left on the broker. */
export async function clearSession(broker: TestBroker, clientId: string): Promise<void> {
  const client = await mqtt.connectAsync(broker.url, {
    protocolVersion: broker.protocolVersion,
    clientId,
    clean: true,
    ...(broker.protocolVersion === 5 ? { properties: { sessionExpiryInterval: 0 } } : {}),
  });
  await client.endAsync();
}

export async function waitUntil(condition: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
