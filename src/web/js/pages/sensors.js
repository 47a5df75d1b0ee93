import { api } from '../api.js';
import { actionButton, clear, field, h, notice, onSubmit, pageHeading, section, table, unavailableOr, when } from '../dom.js';

function policiesSection(root) {
  const output = h('div', { class: 'output', 'aria-live': 'polite' });
  const body = h('div');
  const load = async () => {
    const set = await api('/v1/sensors/policies');
    const editor = h('textarea', { name: 'policies', rows: '18', class: 'mono', spellcheck: 'false' });
    editor.value = JSON.stringify(set.policies, null, 2);
    const form = h('form', { 'aria-label': 'Sensor policies' },
      h('p', {}, `Version ${set.version}, updated by ${set.updatedBy} at ${when(set.updatedAt)}.`),
      field('Policies (JSON array)', editor, 'Each policy names a topic filter and what to keep, generalize, aggregate or drop. The gateway validates the whole set.'),
      h('button', { type: 'submit' }, 'Save policies'));
    onSubmit(form, output, async (values) => {
      let policies;
      try {
        policies = JSON.parse(values.policies);
      } catch (error) {
        throw new Error(`The policies are not valid JSON: ${error.message}`);
      }
      const saved = await api('/v1/sensors/policies', { method: 'PUT', body: { expectedVersion: set.version, policies } });
      await load();
      clear(output, notice(`Saved: policy set version ${saved.version}.`));
    });
    clear(body, form);
  };
  root.append(section('Policies', output, body));
  load().catch((error) => clear(output, unavailableOr(error, 'Sensor ingest (sensors.enabled)')));
}

function countersSection(root) {
  const output = h('div', { class: 'output', 'aria-live': 'polite' });
  const body = h('div');
  const load = async () => {
    const stats = await api('/v1/sensors/stats');
    const topics = Object.entries(stats.topics ?? {}).map(([topic, counters]) => ({ topic, ...counters }));
    clear(output);
    clear(body,
      h('p', {}, `Broker connection: ${stats.connection ?? 'unknown'}; policy version ${stats.policyVersion ?? '—'}; open aggregation windows ${stats.openWindows ?? 0}; aggregates forwarded ${stats.aggregatesForwarded ?? 0}.`),
      table('Counters per topic filter', [
        ['Topic filter', (t) => t.topic],
        ['Received', (t) => String(t.received ?? 0)],
        ['Forwarded', (t) => String(t.forwarded ?? 0)],
        ['Aggregated', (t) => String(t.aggregated ?? 0)],
        ['Fields removed', (t) => String(t.unknownFieldsRemoved ?? 0)],
        ['Dropped', (t) => Object.entries(t.dropped ?? {}).map(([reason, n]) => `${reason}: ${n}`).join(', ') || '0'],
      ], topics, 'no messages yet.'));
  };
  root.append(section('Counters', actionButton('Refresh', output, load), output, body));
  load().catch((error) => clear(output, unavailableOr(error, 'Sensor ingest (sensors.enabled)')));
}

export function sensorsPage(root) {
  root.append(...pageHeading('Sensors', 'What each sensor topic may forward after minimization, and what happened to the messages received.'));
  policiesSection(root);
  countersSection(root);
}
