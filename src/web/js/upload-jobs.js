import { api } from './api.js';
import { actionButton, clear, h, problemView, section, table, when } from './dom.js';

const JOBS_SHOWN = 20;

function stateOf(job) {
  if (job.state === 'running' && job.progress !== null) return `running, ${Math.round(job.progress * 100)} %`;
  // A queued job with an error was sent back by a fault of the box (a full disk) and runs again by itself.
  if (job.state === 'queued' && job.error) return h('span', { class: 'problem' }, 'waiting to run again');
  return job.state;
}

function outcomeOf(job) {
  if (job.error) return job.error;
  return job.segmentId ?? '—';
}

/** The most recent body-worn upload jobs, refreshed with the camera states; `refresh` reloads them. */
export function uploadJobsPanel(signal) {
  const output = h('div', { class: 'output', 'aria-live': 'polite' });
  const body = h('div');
  const refresh = async () => {
    const { jobs } = await api('/v1/jobs', { query: { limit: JOBS_SHOWN }, signal });
    clear(body, table('Body-worn upload jobs, newest first', [
      ['Job', (job) => job.id],
      ['Camera', (job) => job.camera],
      ['Recorded', (job) => when(job.recordedAt)],
      ['State', stateOf],
      ['Segment or reason', outcomeOf],
    ], jobs, 'no uploads since the gateway started.'));
  };
  const panel = section('Body-worn uploads', h('div', { class: 'toolbar' }, actionButton('Update job list', output, refresh)), output, body);
  refresh().catch((error) => clear(output, problemView(error)));
  return { panel, refresh: () => refresh().catch(() => undefined) };
}
