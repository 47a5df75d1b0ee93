import { api, download } from '../api.js';
import { actionButton, clear, field, h, isoFromLocal, localInputValue, notice, onSubmit, pageHeading, problemView, section, select, table, uid, when } from '../dom.js';

/** Same comparison the gateway makes for the four-eyes rule. */
function sameSubject(a, b) {
  return a.trim().normalize('NFKC').toLowerCase() === b.trim().normalize('NFKC').toLowerCase();
}

function fileForm(output, reload) {
  const now = new Date();
  const form = h('form', { 'aria-label': 'File an access request' },
    field('Cameras', h('input', { name: 'cameras', required: true, placeholder: 'cam-1, cam-2' }), 'Camera ids, separated by commas.'),
    h('div', { class: 'row' },
      field('From', h('input', { name: 'from', type: 'datetime-local', required: true, value: localInputValue(new Date(now.getTime() - 3_600_000)) })),
      field('To', h('input', { name: 'to', type: 'datetime-local', required: true, value: localInputValue(now) }))),
    field('Case number', h('input', { name: 'caseNumber', required: true, maxlength: '64' })),
    field('Purpose', h('textarea', { name: 'purpose', required: true, rows: '3', minlength: '10', maxlength: '1000' }), 'Why the unredacted footage is needed (at least 10 characters).'),
    h('button', { type: 'submit' }, 'File request'));
  onSubmit(form, output, async (values) => {
    const created = await api('/v1/access-requests', {
      method: 'POST',
      body: {
        cameras: values.cameras.split(',').map((id) => id.trim()).filter(Boolean),
        from: isoFromLocal(values.from),
        to: isoFromLocal(values.to),
        caseNumber: values.caseNumber.trim(),
        purpose: values.purpose.trim(),
      },
    });
    form.reset();
    await reload();
    clear(output, notice(`Request ${created.id} filed for case ${created.caseNumber}; it waits for another person's approval.`));
  });
  return form;
}

function decisionControls(request, claims, output, reload) {
  if (sameSubject(request.requester, claims.sub)) {
    const whyId = uid('why');
    return h('div', { class: 'four-eyes' },
      h('p', { id: whyId, class: 'four-eyes-note' }, 'You filed this request. Under the four-eyes rule another approver must approve or deny it.'),
      h('button', { type: 'button', disabled: true, 'aria-describedby': whyId }, 'Approve'),
      h('button', { type: 'button', disabled: true, 'aria-describedby': whyId }, 'Deny'));
  }
  const hours = h('input', { type: 'number', min: '1', max: '168', value: '24', class: 'narrow' });
  const reason = h('input', { type: 'text', maxlength: '500' });
  const decide = (decision) => async () => {
    const body = { ...(reason.value.trim() ? { reason: reason.value.trim() } : {}), ...(decision === 'approve' ? { grantHours: Number(hours.value) } : {}) };
    const updated = await api(`/v1/access-requests/${request.id}/${decision}`, { method: 'POST', body });
    await reload();
    clear(output, notice(`Request ${updated.id} is now ${updated.status}.`));
  };
  return h('div', { class: 'decision' },
    field('Grant hours', hours), field('Reason', reason),
    actionButton('Approve', output, decide('approve')), ' ',
    actionButton('Deny', output, decide('deny'), { class: 'danger' }));
}

function exportControls(request, output) {
  const holder = h('div', { class: 'export' });
  const manifestButton = (exportId) => actionButton('Download manifest', output, async () => {
    const manifest = await api(`/v1/access-requests/${request.id}/exports/${exportId}/manifest`, { raw: true });
    await download(manifest, `manifest-${exportId}.json`);
  });
  holder.append(actionButton('Download export', output, async () => {
    const response = await api(`/v1/access-requests/${request.id}/export`, { raw: true });
    const exportId = response.headers.get('x-export-id') ?? 'export';
    const extension = (response.headers.get('content-type') ?? '').includes('mp2t') ? 'ts' : 'bin';
    await download(response, `export-${exportId}.${extension}`);
    clear(output, notice(`Export ${exportId} downloaded (${response.headers.get('x-export-segments') ?? '?'} segments). Keep its signed manifest with it.`));
    holder.replaceChildren(manifestButton(exportId));
  }));
  return holder;
}

function actionsFor(request, claims, output, reload) {
  const roles = claims.roles;
  const cells = [];
  if (roles.includes('approver') && request.status === 'pending') cells.push(decisionControls(request, claims, output, reload));
  if (roles.includes('approver') && request.status === 'approved' && !sameSubject(request.requester, claims.sub)) {
    cells.push(actionButton('Revoke', output, async () => {
      const updated = await api(`/v1/access-requests/${request.id}/revoke`, { method: 'POST', body: {} });
      await reload();
      clear(output, notice(`Request ${updated.id} revoked.`));
    }, { class: 'danger' }));
  }
  if (roles.includes('investigator') && request.status === 'approved' && sameSubject(request.requester, claims.sub)) cells.push(exportControls(request, output));
  return cells.length ? cells : '—';
}

export function accessPage(root, { claims }) {
  const output = h('div', { class: 'output', 'aria-live': 'polite' });
  const listHolder = h('div');
  const status = select('status', ['', 'pending', 'approved', 'denied', 'revoked'], '');
  const reload = async () => {
    const { requests } = await api('/v1/access-requests', { query: { status: status.value, limit: 200 } });
    clear(listHolder, table('Access requests', [
      ['Case', (r) => r.caseNumber],
      ['Cameras', (r) => r.cameras.join(', ')],
      ['Window', (r) => `${when(r.from)} – ${when(r.to)}`],
      ['Purpose', (r) => r.purpose],
      ['Requester', (r) => r.requester],
      ['Status', (r) => h('span', { class: `badge badge-${r.status}` }, r.status)],
      ['Decision', (r) => (r.decidedBy ? `${r.decidedBy}, ${when(r.decidedAt)}${r.grantExpiresAt ? `; grant until ${when(r.grantExpiresAt)}` : ''}` : '—')],
      ['Actions', (r) => actionsFor(r, claims, output, reload)],
    ], requests, 'no requests match.'));
  };
  const showProblem = (error) => clear(output, problemView(error));
  status.addEventListener('change', () => void reload().catch(showProblem));
  root.append(...pageHeading('Access requests', 'Unredacted footage is released only for a filed request that a different person approved (four-eyes rule), and every step is audited.'));
  if (claims.roles.includes('investigator')) root.append(section('File a request', fileForm(output, reload)));
  root.append(output, section('Requests', h('div', { class: 'toolbar' }, field('Status', status), actionButton('Refresh', output, reload)), listHolder));
  reload().catch(showProblem);
}
