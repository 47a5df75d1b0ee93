import { z } from 'zod';

const DAY_MS = 86_400_000;

export const sensorsSection = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Subscribe to sensor streams over MQTT and forward what the sensor policies allow.'),
    mqttUrl: z.string().min(1).default('mqtt://127.0.0.1:1883').describe('Broker the sensors publish to (mqtt:// or mqtts://). Credentials in the URL are never logged; set it through PGW_SENSORS_MQTT_URL to keep them out of files.'),
    clientId: z
      .string().regex(/^[A-Za-z0-9_-]{1,64}$/).default('privacy-gateway-sensors')
      .describe('Stable MQTT client id of the subscriber; the persistent session is keyed by it, so it must not change between restarts.'),
    protocolVersion: z.union([z.literal(4), z.literal(5)]).default(5).describe('MQTT protocol version: 5 (session expiry) or 4 (3.1.1, clean=false).'),
    topics: z
      .array(z.string().min(1).max(256)).max(64).default(['sensors/#'])
      .describe('Topic filters subscribed with QoS 1. Messages on topics that no policy covers are dropped and counted.'),
    sessionExpirySec: z
      .number().int().min(60).max(4_294_967_295).default(7 * 24 * 3600)
      .describe('MQTT 5 session expiry: how long the broker keeps queued QoS 1 messages while the gateway is away. Must exceed the longest expected outage.'),
    reconnectMinMs: z.number().int().min(100).max(60_000).default(1000).describe('First reconnect delay after the broker connection drops.'),
    reconnectMaxMs: z.number().int().min(1000).max(600_000).default(60_000).describe('Upper bound of the exponential reconnect backoff.'),
    receiveMaximum: z
      .number().int().min(1).max(65_535).default(64)
      .describe('MQTT 5 receive maximum: QoS 1 messages the broker may have in flight to the gateway before it waits for acknowledgements.'),
    maxPayloadBytes: z.number().int().min(64).max(1_048_576).default(16_384).describe('Larger payloads are dropped as oversized without being parsed.'),
    policyDir: z.string().min(1).default('config/policies').describe('Directory of the example/initial sensor policies (*.yaml), used until an operator stores a policy set.'),
    pseudonymRotationMs: z
      .number().int().min(60_000).max(31 * DAY_MS).default(DAY_MS)
      .describe('Rotation period of the in-memory HMAC key used for pseudonyms; tokens are stable within a period and unlinkable across periods.'),
    aggregateGraceMs: z
      .number().int().min(0).max(3_600_000).default(60_000)
      .describe('How long after its end an aggregation window stays open for late records before it is published.'),
    output: z
      .enum(['mqtt', 'outbox'])
      .default('outbox')
      .describe("Where minimized records and aggregates go: 'outbox' (uplink to central storage) or 'mqtt' (outputTopic on the same broker)."),
    outputTopic: z
      .string().regex(/^[^#+]{1,200}$/).default('privacy-gateway/minimized')
      .describe("Topic prefix for the 'mqtt' output; each policy publishes under <outputTopic>/<policy id>."),
    dropLogIntervalMs: z.number().int().min(1000).max(3_600_000).default(60_000).describe('At most one log line per topic and drop reason in this interval.'),
  })
  .prefault({})
  .describe('Sensor streams over MQTT: policy-based minimization (keep, pseudonymize, coarsen, redact, aggregate).');
