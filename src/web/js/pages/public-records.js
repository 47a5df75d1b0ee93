import { api, download } from '../api.js';
import { actionButton, clear, field, h, isoFromLocal, localInputValue, notice, onSubmit, pageHeading, section } from '../dom.js';

function exportForm(output, after) {
  const now = new Date();
  const form = h('form', { 'aria-label': 'Export redacted footage' },
    field('Camera', h('input', { name: 'camera', required: true, placeholder: 'cam-1' })),
    h('div', { class: 'row' },
      field('From', h('input', { name: 'from', type: 'datetime-local', required: true, value: localInputValue(new Date(now.getTime() - 3_600_000)) })),
      field('To', h('input', { name: 'to', type: 'datetime-local', required: true, value: localInputValue(now) }))),
    field('Records request', h('input', { name: 'reference', required: true, maxlength: '64' }), 'Number of the public-records request this disclosure answers.'),
    h('button', { type: 'submit' }, 'Export redacted footage'));
  onSubmit(form, output, async (values) => {
    const query = { camera: values.camera.trim(), from: isoFromLocal(values.from), to: isoFromLocal(values.to), reference: values.reference.trim() };
    const response = await api('/v1/public-exports', { query, raw: true });
    const exportId = response.headers.get('x-export-id') ?? 'export';
    await download(response, `public-export-${exportId}.ts`);
    clear(output, notice(`Export ${exportId} downloaded (${response.headers.get('x-export-segments') ?? '?'} redacted segments). Keep its redaction log with it.`));
    after(exportId);
  });
  return form;
}

/** Public-records disclosure (G2): redacted footage of one camera and window, and its signed redaction log. */
export function publicRecordsPage(root) {
  const output = h('div', { class: 'output', 'aria-live': 'polite' });
  const logHolder = h('div');
  const offerLog = (exportId) => clear(logHolder, actionButton('Download redaction log', output, async () => {
    await download(await api(`/v1/public-exports/${exportId}/manifest`, { raw: true }), `redaction-log-${exportId}.json`);
  }));
  root.append(
    ...pageHeading('Public records', 'Redacted footage for a public-records request: only what left the frame loop redacted is exported, never an original, and the export comes with a signed log of what was redacted.'),
    section('Export', exportForm(output, offerLog), logHolder),
    output,
  );
}
