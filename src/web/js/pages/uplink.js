import { api } from '../api.js';
import { actionButton, clear, h, pageHeading, problemView, section, table, when } from '../dom.js';

function bytes(value) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let amount = value;
  let unit = 0;
  while (amount >= 1024 && unit < units.length - 1) {
    amount /= 1024;
    unit += 1;
  }
  return `${amount.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

function age(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

function spoolView(spool) {
  const used = spool.quotaBytes > 0 ? Math.min(100, Math.round((spool.usedBytes / spool.quotaBytes) * 100)) : 0;
  return h('div', {},
    spool.underPressure
      ? h('p', { class: 'problem', role: 'alert' }, `Spool under pressure (${spool.reason}) since ${when(spool.since)}: new originals are not accepted.`)
      : h('p', { class: 'notice notice-ok' }, 'Spool healthy: originals accepted.'),
    h('label', { for: 'spool-meter' }, `Spool use: ${bytes(spool.usedBytes)} of ${bytes(spool.quotaBytes)} (${used} %), ${bytes(spool.freeBytes)} free on disk`),
    h('meter', { id: 'spool-meter', min: '0', max: String(spool.quotaBytes), low: String(spool.lowWaterBytes), high: String(spool.highWaterBytes), value: String(spool.usedBytes) }),
    h('p', {}, `Evicted files: ${spool.evictedFiles}; files kept by legal holds: ${spool.heldFiles}.`));
}

export function uplinkPage(root) {
  const output = h('div', { class: 'output', 'aria-live': 'polite' });
  const body = h('div');
  const load = async () => {
    const status = await api('/v1/uplink/status');
    clear(output);
    clear(body,
      table('Central-storage sinks', [
        ['Sink', (s) => s.name],
        ['Circuit', (s) => h('span', { class: `badge badge-${s.circuit}` }, s.circuit.replace('_', ' '))],
        ['Backlog', (s) => String(s.backlog)],
        ['Oldest item', (s) => age(s.oldestItemAgeMs)],
        ['Delivered', (s) => String(s.delivered)],
        ['Dead', (s) => String(s.dead)],
        ['Last delivery', (s) => when(s.lastDeliveryAt)],
        ['Last error', (s) => (s.lastError ? `${s.lastError} (${when(s.lastErrorAt)})` : '—')],
      ], status.sinks, 'no sinks configured.'),
      spoolView(status.spool));
  };
  root.append(...pageHeading('Uplink', 'Delivery of minimized data to central storage through the durable outbox.'),
    section('Status', actionButton('Refresh', output, load), output, body));
  load().catch((error) => clear(output, problemView(error)));
}
