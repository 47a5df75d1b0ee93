import { api } from '../api.js';
import { actionButton, clear, field, h, notice, onSubmit, pageHeading, problemView, section, select, table, unavailableOr } from '../dom.js';
import { maskEditor } from '../mask-editor.js';
import { playPreview, snapshotImage } from '../preview.js';
import { uploadJobsPanel } from '../upload-jobs.js';

const STATUS_REFRESH_MS = 3000;
const DEFAULTS = { id: '', kind: 'stationary', source: '', profile: 'live', redactionStyle: 'pixelate', masks: [], retentionClass: 'standard', audio: { enabled: false, justification: '' }, enabled: true };

function cameraForm(camera, { output, signal, done }) {
  const editing = Boolean(camera.id);
  /** The API hides RTSP credentials (`rtsp://***@…`); such a source must be typed again to be saved. */
  const hiddenCredentials = camera.source.includes('***@');
  const masks = maskEditor(camera.masks);
  const audio = h('input', { name: 'audioEnabled', type: 'checkbox', checked: camera.audio.enabled });
  const enabled = h('input', { name: 'enabled', type: 'checkbox', checked: camera.enabled });
  const form = h('form', { 'aria-label': editing ? `Edit camera ${camera.id}` : 'Add a camera', class: 'camera-form' },
    h('div', { class: 'row' },
      field('Camera id', h('input', { name: 'id', required: true, pattern: '[a-z0-9][a-z0-9_\\-]{0,62}', value: camera.id, readonly: editing }), 'Lower-case letters, digits, - and _.'),
      field('Kind', select('kind', ['stationary', 'bodyworn'], camera.kind)),
      field('Detection profile', select('profile', ['live', 'thorough', 'none'], camera.profile)),
      field('Redaction style', select('redactionStyle', ['pixelate', 'blur', 'fill'], camera.redactionStyle))),
    field('Source', h('input', { name: 'source', required: true, maxlength: '2048', value: hiddenCredentials ? '' : camera.source, placeholder: 'rtsp://camera.local/stream' }),
      hiddenCredentials ? `Now ${camera.source}: the gateway never sends credentials back, so type the full URL again.` : 'rtsp://… URL, a file path (looped), testsrc:WxH@FPS (test pattern) or upload.'),
    h('div', { class: 'row' },
      field('Retention class', h('input', { name: 'retentionClass', value: camera.retentionClass, maxlength: '64' })),
      h('div', { class: 'field checkbox' }, h('label', {}, enabled, ' Enabled')),
      h('div', { class: 'field checkbox' }, h('label', {}, audio, ' Record audio'))),
    field('Audio justification', h('input', { name: 'audioJustification', value: camera.audio.justification, maxlength: '1000' }), 'Required by the gateway when audio is recorded.'),
    h('fieldset', {}, h('legend', {}, 'Privacy masks'), masks.element),
    h('button', { type: 'submit' }, editing ? 'Save camera' : 'Add camera'));
  if (editing) {
    snapshotImage(camera.id, signal)
      .then((image) => (image ? masks.setSnapshot(image) : undefined))
      .catch((error) => clear(output, problemView(error)));
  }
  onSubmit(form, output, async (values) => {
    const body = {
      id: values.id,
      kind: values.kind,
      source: values.source,
      profile: values.profile,
      redactionStyle: values.redactionStyle,
      masks: masks.masks(),
      retentionClass: values.retentionClass,
      audio: { enabled: audio.checked, justification: values.audioJustification },
      enabled: enabled.checked,
    };
    const saved = await api(editing ? `/v1/cameras/${camera.id}` : '/v1/cameras', { method: editing ? 'PUT' : 'POST', body });
    await done(saved.id);
    clear(output, notice(`Camera ${saved.id} ${editing ? 'saved and restarted' : 'added and started'}.`));
  });
  return form;
}

function previewPanel(cameraId, signal) {
  const image = h('img', { alt: `Redacted live preview of camera ${cameraId}`, class: 'preview', hidden: true });
  const state = h('p', { class: 'hint', 'aria-live': 'polite' }, 'Connecting to the redacted preview…');
  playPreview(cameraId, image, signal, () => {
    image.hidden = false;
    state.textContent = 'Live, redacted.';
  })
    .catch((error) => { if (!signal.aborted) clear(state, problemView(error)); });
  return h('div', { class: 'preview-panel' }, image, state);
}

function statusCell(status) {
  if (!status) return '—';
  return [h('span', { class: `badge badge-${status.state}` }, status.state),
    ` in ${status.inputFps.toFixed(1)} / out ${status.outputFps.toFixed(1)} fps, ${status.failClosedFrames} fail-closed, ${status.reconnects} reconnects`,
    status.lastError ? h('div', { class: 'hint' }, `Last error: ${status.lastError}`) : null];
}

/** Runs `tasks` every STATUS_REFRESH_MS until the page changes. */
function refreshEvery(signal, ...tasks) {
  const timer = setInterval(() => {
    for (const task of tasks) void task();
  }, STATUS_REFRESH_MS);
  signal.addEventListener('abort', () => clearInterval(timer));
}

export function camerasPage(root, { signal }) {
  const output = h('div', { class: 'output', 'aria-live': 'polite' });
  const list = h('div');
  const detail = h('div');
  let detailScope = new AbortController();
  const openDetail = (title, ...children) => {
    detailScope.abort();
    detailScope = new AbortController();
    signal.addEventListener('abort', () => detailScope.abort());
    clear(detail, section(title, children));
    detail.querySelector('h2')?.setAttribute('tabindex', '-1');
    detail.querySelector('h2')?.focus();
    return detailScope.signal;
  };
  const showPreview = (id) => {
    const scope = openDetail(`Live preview: ${id}`);
    detail.querySelector('section').append(previewPanel(id, scope));
  };
  const showForm = (camera) => {
    const scope = openDetail(camera.id ? `Edit camera ${camera.id}` : 'Add a camera');
    detail.querySelector('section').append(cameraForm(camera, { output, signal: scope, done: async (id) => { await reload(); showPreview(id); } }));
  };
  /** State cells by camera id, refreshed in place so that focus and open forms are never disturbed. */
  let stateCells = new Map();
  const refreshStates = async () => {
    await Promise.all([...stateCells].map(async ([id, cell]) => {
      const status = await api(`/v1/cameras/${id}/status`, { signal }).catch(() => null);
      clear(cell, statusCell(status));
    }));
  };
  const reload = async () => {
    const { cameras } = await api('/v1/cameras', { signal });
    stateCells = new Map(cameras.filter((c) => c.enabled).map((c) => [c.id, h('div', { class: 'state' }, '…')]));
    clear(list, table('Cameras', [
      ['Camera', (c) => `${c.id} (${c.kind})`],
      ['Source', (c) => c.source],
      ['Redaction', (c) => `${c.profile}, ${c.redactionStyle}, ${c.masks.length} mask(s)`],
      ['State', (c) => stateCells.get(c.id) ?? 'disabled'],
      ['Actions', (c) => [
        actionButton(`Preview ${c.id}`, output, async () => showPreview(c.id)), ' ',
        actionButton(`Edit ${c.id}`, output, async () => showForm(await api(`/v1/cameras/${c.id}`))), ' ',
        c.origin === 'api' ? actionButton(`Remove ${c.id}`, output, async () => {
          await api(`/v1/cameras/${c.id}`, { method: 'DELETE' });
          clear(detail);
          await reload();
          clear(output, notice(`Camera ${c.id} removed.`));
        }, { class: 'danger' }) : h('span', { class: 'hint' }, 'from the configuration file')]],
    ], cameras, 'no cameras yet.'));
    await refreshStates();
  };
  const uploads = uploadJobsPanel(signal);
  refreshEvery(signal, refreshStates, uploads.refresh);
  const add = h('button', { type: 'button' }, 'Add a camera');
  add.addEventListener('click', () => showForm(structuredClone(DEFAULTS)));
  root.append(...pageHeading('Cameras', 'Every camera the gateway redacts, its live state, and a redacted live preview. Originals never leave the box.'),
    section('All cameras', h('div', { class: 'toolbar' }, add, actionButton('Refresh', output, reload)), output, list), detail, uploads.panel);
  reload().catch((error) => clear(output, unavailableOr(error, 'The camera API')));
}
