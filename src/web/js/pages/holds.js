import { api } from '../api.js';
import { actionButton, clear, field, h, isoFromLocal, localInputValue, notice, onSubmit, problemView, section, table, when } from '../dom.js';

function placeForm(output, reload) {
  const now = new Date();
  const form = h('form', { 'aria-label': 'Place a legal hold' },
    field('Cameras', h('input', { name: 'cameraIds', required: true }), 'Camera ids separated by commas.'),
    h('div', { class: 'row' },
      field('From', h('input', { name: 'from', type: 'datetime-local', required: true, value: localInputValue(new Date(now.getTime() - 86_400_000)) })),
      field('To', h('input', { name: 'to', type: 'datetime-local', required: true, value: localInputValue(now) })),
      field('Expires (optional)', h('input', { name: 'expiresAt', type: 'datetime-local' }))),
    field('Case number', h('input', { name: 'caseNumber', required: true, maxlength: '64' })),
    field('Reason', h('textarea', { name: 'reason', required: true, rows: '2', maxlength: '1000' })),
    h('button', { type: 'submit' }, 'Place hold'));
  onSubmit(form, output, async (values) => {
    const hold = await api('/v1/holds', {
      method: 'POST',
      body: {
        cameraIds: values.cameraIds.split(',').map((id) => id.trim()).filter(Boolean),
        from: isoFromLocal(values.from),
        to: isoFromLocal(values.to),
        caseNumber: values.caseNumber.trim(),
        reason: values.reason.trim(),
        ...(values.expiresAt ? { expiresAt: isoFromLocal(values.expiresAt) } : {}),
      },
    });
    form.reset();
    await reload();
    clear(output, notice(`Hold ${hold.id} placed for case ${hold.caseNumber}.`));
  });
  return form;
}

function liftControl(hold, output, reload) {
  if (hold.status !== 'active') return hold.liftedBy ? `lifted by ${hold.liftedBy}: ${hold.liftReason ?? ''}` : '—';
  const reason = h('input', { type: 'text', maxlength: '1000' });
  return h('div', { class: 'decision' }, field('Lift reason', reason), actionButton('Lift hold', output, async () => {
    if (!reason.value.trim()) throw new Error('Give a reason for lifting the hold.');
    await api(`/v1/holds/${hold.id}`, { method: 'DELETE', body: { reason: reason.value.trim() } });
    await reload();
    clear(output, notice(`Hold ${hold.id} lifted.`));
  }, { class: 'danger' }));
}

/** Legal holds (approver role): list, place, lift. */
export function holdsSection(root) {
  const output = h('div', { class: 'output', 'aria-live': 'polite' });
  const list = h('div');
  const reload = async () => {
    const { holds } = await api('/v1/holds');
    clear(list, table('Legal holds', [
      ['Case', (x) => x.caseNumber],
      ['Cameras', (x) => x.cameraIds.join(', ')],
      ['Window', (x) => `${when(x.from)} – ${when(x.to)}`],
      ['Reason', (x) => x.reason],
      ['Placed', (x) => `${x.placedBy}, ${when(x.placedAt)}`],
      ['Status', (x) => h('span', { class: `badge badge-${x.status}` }, x.status)],
      ['Lift', (x) => liftControl(x, output, reload)],
    ], holds));
  };
  root.append(section('Legal holds', placeForm(output, reload), output, list));
  reload().catch((error) => clear(output, problemView(error)));
}
