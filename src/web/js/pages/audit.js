import { api } from '../api.js';
import { actionButton, clear, field, h, isoFromLocal, onSubmit, pageHeading, problemView, section, select, table, when } from '../dom.js';

function verifyView(result) {
  const ok = result.ok === true;
  return h('div', { class: `verify ${ok ? 'verify-ok' : 'verify-bad'}`, role: 'status' },
    h('p', { class: 'verify-title' }, ok ? 'Audit chain intact' : 'Audit chain BROKEN'),
    h('p', {}, `${result.records} records checked, head #${result.headSeq}, ${result.checkpointsChecked ?? 0} signed checkpoints verified.`),
    result.headHash ? h('p', { class: 'mono' }, `Head hash ${result.headHash}`) : null,
    result.firstBad ? h('p', {}, `First bad record: #${result.firstBad.seq} (${result.firstBad.reason})`) : null);
}

function filterForm() {
  const outcome = select('outcome', ['', 'success', 'failure', 'denied'], '');
  return h('form', { 'aria-label': 'Filter the audit log', class: 'filters' },
    field('Actor', h('input', { name: 'actor', maxlength: '256' })),
    field('Action', h('input', { name: 'action', pattern: '[a-z_.]{1,64}', placeholder: 'access.approve' })),
    field('Object', h('input', { name: 'object', maxlength: '256' })),
    field('Outcome', outcome),
    field('From', h('input', { name: 'from', type: 'datetime-local' })),
    field('To', h('input', { name: 'to', type: 'datetime-local' })),
    field('Per page', h('input', { name: 'limit', type: 'number', min: '1', max: '500', value: '50', class: 'narrow' })),
    h('button', { type: 'submit' }, 'Search'));
}

export function auditPage(root) {
  const output = h('div', { class: 'output', 'aria-live': 'polite' });
  const verifyOutput = h('div', { 'aria-live': 'polite' });
  const results = h('div');
  const form = filterForm();
  /** Cursors of the pages seen so far, so that "Previous" can step back. */
  let cursors = [undefined];
  const show = async (values, index) => {
    const query = { ...values, from: isoFromLocal(values.from), to: isoFromLocal(values.to), after: cursors[index] };
    const page = await api('/v1/audit', { query });
    cursors = cursors.slice(0, index + 1);
    if (page.next !== null) cursors.push(page.next);
    const previous = index > 0 ? actionButton('Previous page', output, () => show(values, index - 1)) : null;
    const next = page.next !== null ? actionButton('Next page', output, () => show(values, index + 1)) : null;
    clear(output);
    clear(results, table(`Audit records, page ${index + 1}`, [
      ['#', (r) => String(r.seq)],
      ['Time', (r) => when(r.ts)],
      ['Actor', (r) => `${r.actor}${r.role ? ` (${r.role})` : ''}`],
      ['Action', (r) => r.action],
      ['Object', (r) => r.object],
      ['Outcome', (r) => h('span', { class: `badge badge-${r.outcome}` }, r.outcome)],
      ['Details', (r) => h('code', {}, JSON.stringify(r.details ?? {}))],
    ], page.records, 'no records match.'), h('div', { class: 'toolbar' }, previous, next));
  };
  onSubmit(form, output, async (values) => {
    cursors = [undefined];
    await show(values, 0);
  });
  const verify = actionButton('Verify the chain', verifyOutput, async () => {
    clear(verifyOutput, verifyView(await api('/v1/audit/verify')));
  });
  root.append(...pageHeading('Audit log', 'Every access, decision, export and configuration change, hash-chained and signed. Reading and verifying are audited too.'),
    section('Integrity', h('p', {}, 'Recomputes every hash and checks the signed checkpoints.'), verify, verifyOutput),
    section('Records', form, output, results));
  show(Object.fromEntries(new FormData(form)), 0).catch((error) => clear(output, problemView(error)));
}
