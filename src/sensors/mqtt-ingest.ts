import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import type { Logger } from '../shared/logger.js';

/**
 * The MQTT subscriber (H4). QoS 1 on every filter, a persistent session under a stable client id
 * (MQTT 5: clean start off and a session expiry longer than any expected outage; 3.1.1: clean=false),
 * so the broker queues messages while the gateway or the broker itself is down.
 *
 * A message is acknowledged (PUBACK) only after the handler resolved, i.e. after the minimized result
 * was forwarded or the message was deliberately dropped. mqtt.js hands over the next message only
 * after that, so at most one message is in work at a time; `receiveMaximum` bounds what the broker
 * has in flight towards the gateway. When the handler fails, the connection is dropped without an
 * acknowledgement and re-established with backoff, and the broker redelivers the message.
 */

export type MessageHandler = (topic: string, payload: Buffer) => Promise<void>;

export interface MqttIngestOptions {
  url: string;
  clientId: string;
  protocolVersion: 4 | 5;
  topics: readonly string[];
  sessionExpirySec: number;
  receiveMaximum: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** How long `stop()` waits for the message in work before it drops the connection unacknowledged. */
  drainTimeoutMs: number;
  /** How long `start()` waits for the broker before it returns and keeps retrying in the background. */
  startTimeoutMs: number;
}

export type IngestState = 'stopped' | 'connecting' | 'connected' | 'reconnecting';

export class MqttIngest {
  private client: MqttClient | undefined;
  private state: IngestState = 'stopped';
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private inWork: Promise<void> | undefined;
  private stopping = false;

  constructor(
    private readonly options: MqttIngestOptions,
    private readonly logger: Logger,
  ) {}

  status(): { state: IngestState; reconnectAttempt: number } {
    return { state: this.state, reconnectAttempt: this.attempt };
  }

  /**
   * Connects and subscribes. Resolves once the broker confirmed the first subscription, or after
   * `startTimeoutMs` when the broker is unreachable (the gateway starts anyway and keeps retrying).
   */
  async start(handler: MessageHandler): Promise<void> {
    this.stopping = false;
    this.state = 'connecting';
    const client = mqtt.connect(this.options.url, this.clientOptions());
    this.client = client;
    client.handleMessage = (packet, done) => this.handle(handler, packet, done);
    let subscribed: () => void = () => undefined;
    const firstSubscription = new Promise<void>((resolve) => (subscribed = resolve));
    client.on('connect', (connack) => {
      this.state = 'connected';
      this.attempt = 0;
      this.logger.info({ sessionPresent: connack.sessionPresent }, 'sensor broker connected');
      this.subscribe(client, subscribed);
    });
    client.on('close', () => this.scheduleReconnect(client));
    client.on('error', (error) => this.logger.warn({ err: { message: error.message, code: (error as { code?: unknown }).code } }, 'sensor broker error'));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), this.options.startTimeoutMs)));
    if (await Promise.race([firstSubscription.then(() => false), timedOut])) this.logger.warn({ state: this.state }, 'sensor broker not reachable yet; retrying in the background');
    clearTimeout(timer);
  }

  /** Lets the message in work finish (bounded), then disconnects; the session stays on the broker. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    const drained = this.inWork ? await this.drain(this.inWork) : true;
    // A clean end flushes the last PUBACK; a forced one leaves the message in work unacknowledged.
    await client.endAsync(!drained);
    this.state = 'stopped';
  }

  private async drain(work: Promise<void>): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.options.drainTimeoutMs)));
    const finished = work.then(
      () => true,
      () => false,
    );
    const drained = await Promise.race([finished, timeout]);
    clearTimeout(timer);
    return drained;
  }

  private clientOptions(): IClientOptions {
    const base: IClientOptions = {
      clientId: this.options.clientId,
      protocolVersion: this.options.protocolVersion,
      clean: false,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      keepalive: 30,
    };
    if (this.options.protocolVersion !== 5) return base;
    return { ...base, properties: { sessionExpiryInterval: this.options.sessionExpirySec, receiveMaximum: this.options.receiveMaximum } };
  }

  private subscribe(client: MqttClient, subscribed: () => void): void {
    const filters = Object.fromEntries(this.options.topics.map((topic) => [topic, { qos: 1 as const }]));
    client.subscribe(filters, (error, granted) => {
      if (error) {
        this.logger.error({ err: { message: error.message } }, 'sensor subscription failed');
        return;
      }
      subscribed();
      const refused = (granted ?? []).filter((grant) => grant.qos !== 1).map((grant) => grant.topic);
      if (refused.length > 0) this.logger.error({ refused }, 'sensor subscription not granted with QoS 1');
    });
  }

  private handle(handler: MessageHandler, packet: IPublishPacket, done: (error?: Error) => void): void {
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const work = handler(packet.topic, payload);
    this.inWork = work;
    work.then(
      () => {
        this.inWork = undefined;
        done();
      },
      (error: unknown) => {
        this.inWork = undefined;
        this.logger.error({ err: { message: (error as Error).message } }, 'sensor message not forwarded; reconnecting for redelivery');
        // Dropping the connection without PUBACK makes the broker redeliver the message on the resumed session.
        this.client?.end(true, () => this.scheduleReconnect(this.client));
      },
    );
  }

  private scheduleReconnect(client: MqttClient | undefined): void {
    if (this.stopping || !client || client !== this.client || this.reconnectTimer !== undefined) return;
    this.state = 'reconnecting';
    const ceiling = Math.min(this.options.reconnectMaxMs, this.options.reconnectMinMs * 2 ** Math.min(this.attempt, 16));
    const delay = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    this.attempt++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.stopping && client === this.client) client.reconnect();
    }, delay);
  }
}
