import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from '../shared/logger.js';
import type { OutboxItem, OutboxPort } from '../shared/ports.js';

/**
 * Where minimized sensor output goes. The ingest acknowledges a message to the broker only after
 * `forward` resolved, so whatever a forwarder accepted is either delivered or redelivered (H4).
 */
export interface SensorForwarder {
  forward(item: OutboxItem): Promise<void>;
  close(): Promise<void>;
}

/** Hands items to the uplink outbox; `enqueue` returns once the item is durable. */
export class OutboxSensorForwarder implements SensorForwarder {
  constructor(private readonly outbox: OutboxPort) {}

  async forward(item: OutboxItem): Promise<void> {
    this.outbox.enqueue(item);
  }

  async close(): Promise<void> {}
}

export interface MqttForwarderOptions {
  url: string;
  /** Its own client id: publishing from the subscriber's client while a message is being handled would deadlock on its PUBACK. */
  clientId: string;
  protocolVersion: 4 | 5;
  topicPrefix: string;
  reconnectMs: number;
}

/** The MQTT wire form of an outbox item: the idempotency key travels with the body. */
export interface MqttOutputMessage {
  readonly key: string;
  readonly kind: OutboxItem['kind'];
  readonly body: Readonly<Record<string, unknown>>;
}

/** Publishes each item with QoS 1 under `<topicPrefix>/<group>`; resolves on the broker's PUBACK. */
export class MqttTopicSensorForwarder implements SensorForwarder {
  private client: MqttClient | undefined;

  constructor(
    private readonly options: MqttForwarderOptions,
    private readonly logger: Logger,
  ) {}

  /** Connects in the background; items forwarded while the broker is away wait in the client's queue. */
  start(): void {
    this.client = mqtt.connect(this.options.url, {
      clientId: this.options.clientId,
      protocolVersion: this.options.protocolVersion,
      clean: true,
      reconnectPeriod: this.options.reconnectMs,
      connectTimeout: 10_000,
    });
    this.client.on('error', (error) => this.logger.warn({ err: { message: error.message } }, 'sensor output broker error'));
  }

  async forward(item: OutboxItem): Promise<void> {
    if (!this.client) throw new TypeError('the MQTT forwarder is not started');
    const message: MqttOutputMessage = { key: item.key, kind: item.kind, body: item.body ?? {} };
    await this.client.publishAsync(`${this.options.topicPrefix}/${item.group ?? 'sensors'}`, JSON.stringify(message), {
      qos: 1,
      ...(this.options.protocolVersion === 5 ? { properties: { userProperties: { idempotencyKey: item.key } } } : {}),
    });
  }

  async close(): Promise<void> {
    // Forced: anything not yet acknowledged was not acknowledged upstream either and will be redelivered.
    await this.client?.endAsync(true);
    this.client = undefined;
  }
}
