import type { FastifyPluginAsync } from 'fastify';

/** What the status route needs of the uplink (the api never imports the uplink's classes). */
export interface UplinkStatusService {
  status(): {
    sinks: readonly {
      name: string; ordered: boolean; backlog: number; dead: number; delivered: number; oldestItemAgeMs: number | null;
      circuit: 'closed' | 'open' | 'half_open'; lastError: string | null; lastErrorAt: number | null; lastDeliveryAt: number | null;
    }[];
    spool: {
      usedBytes: number; freeBytes: number; quotaBytes: number; highWaterBytes: number; lowWaterBytes: number;
      underPressure: boolean; reason: 'quota' | 'disk_free' | null; since: number | null; evictedFiles: number; heldFiles: number;
    };
  };
}

const nullableInteger = { type: ['integer', 'null'] } as const;
const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;

const sinkSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'ordered', 'backlog', 'dead', 'delivered', 'oldestItemAgeMs', 'circuit', 'lastError', 'lastErrorAt', 'lastDeliveryAt'],
  properties: {
    name: { type: 'string' },
    ordered: { type: 'boolean', description: 'Delivers each group (camera) in enqueue order.' },
    backlog: { type: 'integer', description: 'Items not yet delivered.' },
    dead: { type: 'integer', description: 'Items that cannot be delivered (payload missing); kept and shown, never dropped.' },
    delivered: { type: 'integer' },
    oldestItemAgeMs: nullableInteger,
    circuit: { type: 'string', enum: ['closed', 'open', 'half_open'] },
    lastError: { type: ['string', 'null'] },
    lastErrorAt: nullableTime,
    lastDeliveryAt: nullableTime,
  },
} as const;

const statusSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['sinks', 'spool'],
  properties: {
    sinks: { type: 'array', maxItems: 16, items: sinkSchema },
    spool: {
      type: 'object',
      additionalProperties: false,
      required: ['usedBytes', 'freeBytes', 'quotaBytes', 'highWaterBytes', 'lowWaterBytes', 'underPressure', 'acceptingOriginals', 'reason', 'since', 'evictedFiles', 'heldFiles'],
      properties: {
        usedBytes: { type: 'integer' }, freeBytes: { type: 'integer' }, quotaBytes: { type: 'integer' },
        highWaterBytes: { type: 'integer' }, lowWaterBytes: { type: 'integer' },
        underPressure: { type: 'boolean', description: 'Alarm: the spool is above its high-water mark or the disk is nearly full.' },
        acceptingOriginals: { type: 'boolean' },
        reason: { type: ['string', 'null'], enum: ['quota', 'disk_free', null] },
        since: nullableTime,
        evictedFiles: { type: 'integer' }, heldFiles: { type: 'integer' },
      },
    },
  },
} as const;

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** `GET /v1/uplink/status`: per sink backlog, oldest item age, last error and circuit state; spool pressure. */
export const uplinkRoutes: FastifyPluginAsync<{ service: UplinkStatusService }> = async (app, { service }) => {
  app.get('/v1/uplink/status', {
    preHandler: app.guards.requireRole('operator', 'admin', 'auditor'),
    schema: {
      tags: ['uplink'],
      summary: 'Delivery state of every central-storage sink and the spool',
      security: [{ bearer: [] }],
      querystring: { type: 'object', additionalProperties: false, properties: {} },
      response: { 200: statusSchema },
    },
  }, async () => {
    const { sinks, spool } = service.status();
    return {
      sinks: sinks.map((sink) => ({ ...sink, lastErrorAt: iso(sink.lastErrorAt), lastDeliveryAt: iso(sink.lastDeliveryAt) })),
      spool: { ...spool, acceptingOriginals: !spool.underPressure, since: iso(spool.since) },
    };
  });
};
