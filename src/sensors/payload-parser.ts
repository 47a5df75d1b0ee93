/** Turns an MQTT payload into a plain JSON object, or says why it cannot (H6, P4). Pure. */

export type ParseFailure = 'oversized' | 'not_json' | 'not_object';

export type ParsedPayload = { ok: true; value: Readonly<Record<string, unknown>> } | { ok: false; reason: ParseFailure };

export function parsePayload(payload: Uint8Array, maxBytes: number): ParsedPayload {
  if (payload.byteLength > maxBytes) return { ok: false, reason: 'oversized' };
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch {
    // Bytes that are not UTF-8 JSON are a normal drop reason, counted by the caller.
    return { ok: false, reason: 'not_json' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'not_object' };
  return { ok: true, value: value as Record<string, unknown> };
}
