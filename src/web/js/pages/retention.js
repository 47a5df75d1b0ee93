import { api } from '../api.js';
import { clear, field, h, isoFromLocal, localInputValue, notice, onSubmit, pageHeading, problemView, section, select, table, when } from '../dom.js';
import { holdsSection } from './holds.js';

const DATA_CLASSES = ['original', 'redacted', 'metadata', 'sensor_raw', 'sensor_minimized', 'export'];
const CAMERA_KINDS = ['', 'fixed', 'body_worn'];

function ruleEditor(rule, index) {
  const box = h('fieldset', { class: 'rule' },
    h('legend', {}, `Rule ${index + 1}`),
    h('div', { class: 'row' },
      field('Rule id', h('input', { name: 'id', required: true, value: rule.id ?? '' })),
      field('Data class', select('dataClass', DATA_CLASSES, rule.dataClass ?? 'redacted')),
      field('Keep for (hours)', h('input', { name: 'maxAgeHours', type: 'number', step: 'any', required: true, value: String(rule.maxAgeHours ?? '') })),
      field('Camera kind', select('cameraKind', CAMERA_KINDS, rule.cameraKind ?? ''))),
    field('Cameras', h('input', { name: 'cameraIds', value: (rule.cameraIds ?? []).join(', ') }), 'Optional: camera ids separated by commas; empty applies to all.'),
    field('Justification', h('input', { name: 'justification', value: rule.justification ?? '' }), 'Required by the gateway when a rule keeps data longer than its class default.'),
    field('Description', h('input', { name: 'description', value: rule.description ?? '' })));
  const remove = h('button', { type: 'button', class: 'danger' }, `Remove rule ${index + 1}`);
  remove.addEventListener('click', () => box.remove());
  box.append(remove);
  return box;
}

function ruleFrom(box) {
  const value = (name) => box.querySelector(`[name=${name}]`).value.trim();
  const cameraIds = value('cameraIds').split(',').map((id) => id.trim()).filter(Boolean);
  const hours = value('maxAgeHours');
  return {
    id: value('id'),
    dataClass: value('dataClass'),
    maxAgeHours: hours === '' ? Number.NaN : Number(hours),
    ...(cameraIds.length ? { cameraIds } : {}),
    ...(value('cameraKind') ? { cameraKind: value('cameraKind') } : {}),
    ...(value('justification') ? { justification: value('justification') } : {}),
    ...(value('description') ? { description: value('description') } : {}),
  };
}

function limitsTable(set) {
  return table('Class defaults and city-wide ceilings', [
    ['Data class', (c) => c],
    ['Default (hours)', (c) => String(set.defaultsHours[c] ?? '—')],
    ['Ceiling (hours)', (c) => String(set.ceilingsHours[c] ?? '—')],
  ], Object.keys({ ...set.defaultsHours, ...set.ceilingsHours }));
}

function rulesSection(root) {
  const output = h('div', { class: 'output', 'aria-live': 'polite' });
  const body = h('div');
  const load = async () => {
    const set = await api('/v1/retention/rules');
    const list = h('div', { class: 'rules' }, set.rules.map(ruleEditor));
    const add = h('button', { type: 'button' }, 'Add rule');
    add.addEventListener('click', () => list.append(ruleEditor({}, list.children.length)));
    const form = h('form', { 'aria-label': 'Retention rules' },
      h('p', {}, `Version ${set.version}, changed by ${set.changedBy} at ${when(set.changedAt)}${set.comment ? ` (${set.comment})` : ''}.`),
      list, add,
      field('Change comment', h('input', { name: 'comment', maxlength: '500' })),
      h('button', { type: 'submit' }, 'Save rules'));
    onSubmit(form, output, async (values) => {
      const rules = [...list.querySelectorAll('fieldset.rule')].map(ruleFrom);
      const saved = await api('/v1/retention/rules', { method: 'PUT', body: { rules, baseVersion: set.version, ...(values.comment ? { comment: values.comment } : {}) } });
      await load();
      clear(output, notice(`Saved: the rules are now version ${saved.version}.`));
    });
    clear(body, limitsTable(set), form);
  };
  root.append(section('Retention rules', output, body));
  load().catch((error) => clear(output, problemView(error)));
}

function plannedTable(caption, list) {
  return table(`${caption} (${list.count})`, [
    ['Item', (i) => i.id],
    ['Class', (i) => i.dataClass],
    ['Camera', (i) => i.cameraId ?? '—'],
    ['Recorded', (i) => when(i.recordedAt)],
    ['Expires', (i) => when(i.expiresAt)],
    ['Rule', (i) => `${i.rule} (${i.maxAgeHours} h)`],
    ['Holds', (i) => (i.holdIds ?? []).join(', ') || '—'],
  ], list.items);
}

function previewSection(root) {
  const output = h('div', { class: 'output', 'aria-live': 'polite' });
  const until = h('input', { name: 'until', type: 'datetime-local', required: true, value: localInputValue(new Date(Date.now() + 3_600_000)) });
  const form = h('form', { 'aria-label': 'Preview the next sweep', class: 'toolbar' }, field('Sweep at', until), h('button', { type: 'submit' }, 'Preview sweep'));
  onSubmit(form, output, async (values) => {
    const plan = await api('/v1/retention/preview', { query: { until: isoFromLocal(values.until), limit: 100 } });
    clear(output,
      h('p', { role: 'status' }, `A sweep at ${when(plan.until)} under rules version ${plan.rulesVersion} would delete ${plan.due.count} item(s); legal holds keep ${plan.held.count}.${plan.truncated ? ' Lists are truncated.' : ''}`),
      plannedTable('Would be deleted', plan.due),
      plannedTable('Kept by legal holds', plan.held));
  });
  root.append(section('Preview the next sweep', form, output));
}

export function retentionPage(root, { claims }) {
  root.append(...pageHeading('Retention & legal holds', 'How long each class of data is kept, what the next sweep would delete, and the legal holds that protect evidence.'));
  rulesSection(root);
  previewSection(root);
  if (claims.roles.includes('approver')) holdsSection(root);
  else root.append(section('Legal holds', h('p', {}, 'Placing, listing and lifting legal holds needs the approver role.')));
}
