import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClip, openTestGateway, removeDir, type TestGateway } from '../access/security-fixtures.js';
import { fillForm, launchChromium, signIn, snap, watchPage } from './console-browser.js';

describe('operator console in headless Chromium', () => {
  let gateway: TestGateway;
  let browser: Browser;
  let page: Page;
  let baseUrl: string;
  let problems: string[];

  beforeAll(async () => {
    browser = await launchChromium();
    gateway = await openTestGateway({ sensors: { enabled: true } });
    const clip = makeClip(1);
    for (let n = 0; n < 2; n++) {
      const startMs = Date.UTC(2026, 2, 1, 8, 10) + n * 10_000;
      await gateway.security.vault.store({ segmentId: `cam-1-seg-${n}`, cameraId: 'cam-1', startMs, endMs: startMs + 9_999, container: 'mp4', data: clip });
    }
    // Two redacted segments with their sidecars in the spool, as the live loop writes them.
    const spool = join(gateway.dataDir, 'spool', 'cam-1');
    mkdirSync(spool, { recursive: true });
    for (let n = 0; n < 2; n++) {
      const startMs = Date.UTC(2026, 2, 1, 8, 10) + n * 10_000;
      const segmentId = `cam-1-20260301T0810${n}0000Z`;
      writeFileSync(join(spool, `${segmentId}.mp4`), clip);
      const file = { name: `${segmentId}.mp4`, bytes: clip.length, sha256: createHash('sha256').update(clip).digest('hex') };
      writeFileSync(join(spool, `${segmentId}.json`), JSON.stringify({ segmentId, camera: 'cam-1', startMs, endMs: startMs + 1000, frameCount: 10, failClosedFrames: 0, regionsPerClass: { face: 3 }, privacyMasks: 0, detector: { id: 'live', models: [] }, file }));
    }
    baseUrl = await gateway.api.listen({ host: '127.0.0.1', port: 0 });
    page = await browser.newPage({ timezoneId: 'UTC', acceptDownloads: true });
    problems = watchPage(page, baseUrl);
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    if (gateway) removeDir(gateway.dataDir);
  });

  it('serves the console from / with the API\'s CSP and signs in with a pasted token', async () => {
    const response = await page.goto(`${baseUrl}/`);
    expect(page.url()).toBe(`${baseUrl}/console/`);
    expect(response?.headers()['content-security-policy']).toContain("default-src 'self'");
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign in');
    expect(await page.evaluate("document.querySelector('a[href], button, input, select, textarea')?.textContent")).toBe('Skip to main content');
    const skip = page.getByRole('link', { name: 'Skip to main content' });
    await skip.focus();
    expect((await skip.boundingBox())?.x).toBeGreaterThanOrEqual(0);
    await page.keyboard.press('Enter');
    expect(await page.evaluate('document.activeElement?.id')).toBe('main');
    await signIn(page, baseUrl, await gateway.token('olga', ['operator']));
    await page.getByText('Signed in as olga (operator)').waitFor();
    await page.getByRole('navigation', { name: 'Console sections' }).getByRole('link', { name: 'Uplink' }).click();
    await page.getByRole('heading', { level: 1, name: 'Uplink' }).waitFor();
    expect(await page.evaluate('document.activeElement?.tagName')).toBe('H1');
    expect(await page.getByRole('link', { name: 'Uplink' }).getAttribute('aria-current')).toBe('page');
    await snap(page, 'uplink');
  });

  it('renders the sign-in form once on sign-out, so a token typed at once is not wiped by a second render', async () => {
    await signIn(page, baseUrl, await gateway.token('olga', ['operator']));
    await page.getByRole('link', { name: 'Cameras' }).waitFor();
    // Counts the sign-in forms the page inserts from the click on.
    await page.evaluate(`(() => {
      window.signInForms = 0;
      new MutationObserver((changes) => {
        for (const change of changes) for (const node of change.addedNodes) if (node.querySelector?.('textarea[name=token]')) window.signInForms += 1;
      }).observe(document.body, { childList: true, subtree: true });
    })()`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Bearer token (JWT)').waitFor();
    await page.waitForTimeout(200);
    expect(await page.evaluate('window.signInForms')).toBe(1);
  });

  it('sends a refused token back to the sign-in page with the reason', async () => {
    const other = await openTestGateway();
    try {
      await signIn(page, baseUrl, await other.token('mallory', ['auditor']));
      await page.getByText('The gateway refused the token').waitFor();
      expect(await page.evaluate("sessionStorage.getItem('pgw.token')")).toBeNull();
      expect(await page.getByRole('navigation', { name: 'Console sections' }).isHidden()).toBe(true);
    } finally {
      await other.close();
      removeDir(other.dataDir);
    }
  });

  it('shows the retention API\'s validation message, then saves a valid rule and previews the sweep', async () => {
    await signIn(page, baseUrl, await gateway.token('olga', ['operator']));
    await page.getByRole('link', { name: 'Retention & holds' }).click();
    await page.getByText(/^Version 0/).waitFor();
    await page.getByRole('button', { name: 'Add rule' }).click();
    const rule = page.getByRole('group', { name: 'Rule 1' });
    await rule.getByLabel('Rule id').fill('redacted-long');
    await rule.getByLabel('Data class').selectOption('redacted');
    await rule.getByLabel('Keep for (hours)').fill('9000');
    await page.getByRole('button', { name: 'Save rules' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('9000 h exceeds the city-wide ceiling of 8760 h for redacted');
    await snap(page, 'retention-error');

    await rule.getByLabel('Keep for (hours)').fill('24');
    await page.getByRole('button', { name: 'Save rules' }).click();
    await page.getByText('Saved: the rules are now version 1.').waitFor();
    await page.getByRole('button', { name: 'Preview sweep' }).click();
    await page.getByText(/A sweep at .* under rules version 1 would delete \d+ item\(s\)/).waitFor();
    await snap(page, 'retention');
  });

  async function fileRequest(caseNumber: string): Promise<void> {
    await page.getByRole('link', { name: 'Access requests' }).click();
    const form = page.getByRole('form', { name: 'File an access request' });
    await fillForm(form, { Cameras: 'cam-1', From: '2026-03-01T08:00', To: '2026-03-01T09:00', 'Case number': caseNumber, Purpose: 'Hit-and-run at the crossing, plate needed by the prosecutor.' });
    await form.getByRole('button', { name: 'File request' }).click();
    await page.getByText(`filed for case ${caseNumber}`).waitFor();
  }

  it('files a request as an investigator and approves it as a different approver', async () => {
    await signIn(page, baseUrl, await gateway.token('ivan', ['investigator']));
    await fileRequest('CASE-1');
    const row = page.getByRole('row', { name: /CASE-1/ });
    await expect(row.getByText('pending').textContent()).resolves.toBe('pending');
    expect(await row.getByRole('button', { name: 'Approve' }).count()).toBe(0);

    await signIn(page, baseUrl, await gateway.token('alice', ['approver']));
    await page.getByRole('link', { name: 'Access requests' }).click();
    const approverRow = page.getByRole('row', { name: /CASE-1/ });
    await approverRow.getByLabel('Reason').fill('Warrant 42 checked');
    await approverRow.getByRole('button', { name: 'Approve' }).click();
    await page.getByText(/is now approved/).waitFor();
    expect(await page.getByRole('row', { name: /CASE-1/ }).getByText('approved', { exact: true }).count()).toBe(1);
    await snap(page, 'access');

    const { requests } = (await gateway.api.inject({ method: 'GET', url: '/v1/access-requests', headers: { authorization: `Bearer ${await gateway.token('aud', ['auditor'])}` } })).json();
    expect(requests[0]).toMatchObject({ caseNumber: 'CASE-1', requester: 'ivan', status: 'approved', decidedBy: 'alice' });
  });

  it('downloads the approved export and its signed manifest as the requester', async () => {
    await signIn(page, baseUrl, await gateway.token('ivan', ['investigator']));
    await page.getByRole('link', { name: 'Access requests' }).click();
    const row = page.getByRole('row', { name: /CASE-1/ });
    const [exportFile] = await Promise.all([page.waitForEvent('download'), row.getByRole('button', { name: 'Download export' }).click()]);
    expect(exportFile.suggestedFilename()).toMatch(/^export-[0-9a-f]{32}\.ts$/);
    await page.getByText(/Export [0-9a-f]{32} downloaded \(2 segments\)/).waitFor();
    const [manifestFile] = await Promise.all([page.waitForEvent('download'), row.getByRole('button', { name: 'Download manifest' }).click()]);
    const manifest = JSON.parse(readFileSync(await manifestFile.path(), 'utf8'));
    const exported = readFileSync(await exportFile.path());
    expect(manifest).toMatchObject({ requester: 'ivan', approver: 'alice', request: { caseNumber: 'CASE-1' } });
    expect(manifest.signature).toEqual(expect.any(String));
    expect(manifest.export.sha256).toBe(createHash('sha256').update(exported).digest('hex'));
    expect(manifest.segments).toHaveLength(2);
  });

  it('exports redacted footage for a public-records request and its signed redaction log as an operator', async () => {
    await signIn(page, baseUrl, await gateway.token('olga', ['operator']));
    await page.getByRole('link', { name: 'Public records' }).click();
    const form = page.getByRole('form', { name: 'Export redacted footage' });
    await fillForm(form, { Camera: 'cam-1', From: '2026-03-01T08:00', To: '2026-03-01T09:00', 'Records request': 'PRR-2026-7' });
    const [exportFile] = await Promise.all([page.waitForEvent('download'), form.getByRole('button', { name: 'Export redacted footage' }).click()]);
    expect(exportFile.suggestedFilename()).toMatch(/^public-export-[0-9a-f]{32}\.ts$/);
    await page.getByText(/Export [0-9a-f]{32} downloaded \(2 redacted segments\)/).waitFor();
    const [logFile] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download redaction log' }).click()]);
    const log = JSON.parse(readFileSync(await logFile.path(), 'utf8'));
    expect(log).toMatchObject({ type: 'privacy-gateway.public-export-manifest', reference: 'PRR-2026-7', requester: 'olga' });
    expect(log.segments.map((s: { regionsPerClass: Record<string, number> }) => s.regionsPerClass)).toEqual([{ face: 3 }, { face: 3 }]);
    expect(log.export.sha256).toBe(createHash('sha256').update(readFileSync(await exportFile.path())).digest('hex'));
    await snap(page, 'public-records');
  });

  it('refuses self-approval in the UI and says why, and the API refuses it too', async () => {
    const token = await gateway.token('carol', ['investigator', 'approver']);
    await signIn(page, baseUrl, token);
    await fileRequest('CASE-2');
    const row = page.getByRole('row', { name: /CASE-2/ });
    await row.getByText('You filed this request. Under the four-eyes rule another approver must approve or deny it.').waitFor();
    expect(await row.getByRole('button', { name: 'Approve' }).isDisabled()).toBe(true);
    expect(await row.getByRole('button', { name: 'Deny' }).isDisabled()).toBe(true);
    await snap(page, 'access-self');

    const id: string = (await gateway.api.inject({ method: 'GET', url: '/v1/access-requests?status=pending', headers: { authorization: `Bearer ${token}` } })).json().requests[0].id;
    const refused = await page.evaluate(async ([requestId, bearer]) => {
      const response = await fetch(`/v1/access-requests/${requestId}/approve`, { method: 'POST', headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' }, body: '{}' });
      return { status: response.status, body: await response.json() as { detail: string } };
    }, [id, token] as const);
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toContain('four eyes');
  });

  it('places a legal hold as an approver and lists it as active', async () => {
    await signIn(page, baseUrl, await gateway.token('alice', ['approver']));
    await page.getByRole('link', { name: 'Retention & holds' }).click();
    const form = page.getByRole('form', { name: 'Place a legal hold' });
    await fillForm(form, { Cameras: 'cam-1', From: '2026-03-01T08:00', To: '2026-03-01T09:00', 'Case number': 'CASE-1', Reason: 'Evidence for the hit-and-run case' });
    await form.getByRole('button', { name: 'Place hold' }).click();
    await page.getByText(/Hold hold_[0-9a-f]{32} placed for case CASE-1/).waitFor();
    await page.getByRole('table', { name: 'Legal holds' }).getByRole('row', { name: /CASE-1.*active/ }).waitFor();
    await snap(page, 'holds');
  });

  it('splits the redacted MJPEG preview stream into JPEG frames by content-length', async () => {
    // A string, so that the test runner does not rewrite the browser's dynamic import.
    const frames = await page.evaluate<{ early: number; frames: number[][]; rest: number }>(`(async () => {
      const { takeFrames } = await import('/console/js/preview.js');
      const part = (bytes) => [...new TextEncoder().encode('--frame\\r\\ncontent-type: image/jpeg\\r\\ncontent-length: ' + bytes.length + '\\r\\n\\r\\n'), ...bytes, 13, 10];
      const stream = new Uint8Array([...part([0xff, 0xd8, 1, 2, 0xff, 0xd9]), ...part([0xff, 0xd8, 3, 0xff, 0xd9]), ...part([0xff, 0xd8, 9]).slice(0, -4)]);
      const early = takeFrames(stream.subarray(0, 40)).frames.length;
      const all = takeFrames(stream);
      return { early, frames: all.frames.map((f) => [...f]), rest: all.rest.length };
    })()`);
    expect(frames.early).toBe(0);
    expect(frames.frames).toEqual([[0xff, 0xd8, 1, 2, 0xff, 0xd9], [0xff, 0xd8, 3, 0xff, 0xd9]]);
    expect(frames.rest).toBeGreaterThan(0);
  });

  it('shows the sensor policy set and the gateway\'s validation message for a bad edit', async () => {
    await signIn(page, baseUrl, await gateway.token('olga', ['operator']));
    await page.getByRole('link', { name: 'Sensors' }).click();
    const editor = page.getByLabel('Policies (JSON array)');
    await editor.waitFor();
    await editor.fill('[{"id": "parking", "topics": ["parking/+/occupancy"], "fields": {}}]');
    await page.getByRole('button', { name: 'Save policies' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain("/policies/0: must have required property 'output'");
    await page.getByRole('table', { name: 'Counters per topic filter' }).or(page.getByText('Counters per topic filter: no messages yet.')).waitFor();
    await snap(page, 'sensors');
  });

  it('filters, pages and verifies the audit log', async () => {
    await signIn(page, baseUrl, await gateway.token('audrey', ['auditor']));
    await page.getByRole('link', { name: 'Audit log' }).click();
    const filters = page.getByRole('form', { name: 'Filter the audit log' });
    await filters.getByLabel('Action').fill('access.approve');
    await filters.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('table').getByText('alice').first().waitFor();
    await filters.getByLabel('Action').fill('');
    await filters.getByLabel('Per page').fill('2');
    await filters.getByRole('button', { name: 'Search' }).click();
    await page.getByText('Audit records, page 1').waitFor();
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByText('Audit records, page 2').waitFor();
    await page.getByRole('button', { name: 'Verify the chain' }).click();
    await page.getByText('Audit chain intact').waitFor();
    await snap(page, 'audit');
  });

  it('shows role refusals as problems and loads the other pages without script errors, CSP violations or requests outside the gateway', async () => {
    await signIn(page, baseUrl, await gateway.token('olga', ['operator']));
    await page.getByRole('link', { name: 'Cameras' }).click();
    await page.getByRole('heading', { level: 1, name: 'Cameras' }).waitFor();
    await snap(page, 'cameras');
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('alert').getByText(/403/).waitFor();
    expect(problems).toEqual([]);
  });
});
