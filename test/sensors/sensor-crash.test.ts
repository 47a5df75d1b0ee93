import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { MqttOutputMessage } from '../../src/sensors/sensor-forwarders.js';
import { restartableBroker, type RestartableBroker } from './helpers/brokers.js';
import { publisher, sensorConfig, tempDir, uniqueRoot, waitUntil, writePolicyDir } from './helpers/sensor-harness.js';

const CHILD = 'test/sensors/fixtures/sensor-gateway-child.ts';

function startGateway(args: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CHILD, ...args], { env: { ...process.env, NODE_OPTIONS: '--import tsx' }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`gateway child exited early with ${code}`)));
  });
}

describe('H4 gateway killed with SIGKILL mid-stream', () => {
  let broker: RestartableBroker | undefined;
  const children: ChildProcess[] = [];

  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    await broker?.close();
  });

  it('loses no message, and what was forwarded twice carries one idempotency key', async () => {
    broker = await restartableBroker(tempDir('broker'));
    const root = uniqueRoot();
    const outputRoot = uniqueRoot();
    const policyDir = writePolicyDir([
      { id: 'counter', topics: [`${root}/count/+`], fields: { seq: { action: 'keep', type: 'integer' } }, output: { mode: 'record' } },
    ]);
    const config = sensorConfig({ broker, root, policyDir, clientId: `pgw-test-kill-${randomUUID().slice(0, 8)}` });
    const args = [JSON.stringify(config), tempDir('data'), outputRoot];

    const consumer = await mqtt.connectAsync(broker.url, { protocolVersion: broker.protocolVersion });
    const received: MqttOutputMessage[] = [];
    consumer.on('message', (_topic, payload) => received.push(JSON.parse(payload.toString()) as MqttOutputMessage));
    await consumer.subscribeAsync(`${outputRoot}/#`, { qos: 1 });
    const pub = await publisher(broker);

    const first = await startGateway(args);
    children.push(first);
    const total = 300;
    const publishing = Promise.all(Array.from({ length: total }, (_, seq) => pub.publishAsync(`${root}/count/c${seq % 3}`, JSON.stringify({ seq }), { qos: 1 })));
    await waitUntil(() => received.length >= 40, 20_000, 'the first forwarded records');
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    await publishing;
    const beforeRestart = received.length;
    expect(beforeRestart).toBeLessThan(total);

    children.push(await startGateway(args));
    const unique = (): Map<string, MqttOutputMessage> => new Map(received.map((message) => [message.key, message]));
    await waitUntil(() => unique().size === total, 30_000, 'every record after the restart');
    const seqs = [...unique().values()].map((message) => (message.body.fields as { seq: number }).seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: total }, (_, seq) => seq));
    const keysBySeq = new Map<number, Set<string>>();
    for (const message of received) {
      const seq = (message.body.fields as { seq: number }).seq;
      keysBySeq.set(seq, (keysBySeq.get(seq) ?? new Set()).add(message.key));
    }
    expect([...keysBySeq.values()].every((keys) => keys.size === 1)).toBe(true);
    await pub.endAsync();
    await consumer.endAsync();
  }, 90_000);
});
