import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueLocalToken } from '../../src/api/local-token.js';
import { composeApi, type Components } from '../../src/app.js';
import { openCatalog, type CatalogDatabase } from '../../src/catalog/database.js';
import { systemClock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/logger.js';
import { makeClip, removeDir, tempDir, testConfig } from '../access/security-fixtures.js';
import { launchChromium, signIn, snap, watchPage } from './console-browser.js';

/**
 * Mean luma of a rectangle (fractions of the frame) of the preview image as the browser decoded it. It waits, inside
 * the page, for a frame that has loaded and then reads it in the same task, so a frame swapped in meanwhile cannot
 * leave it reading an image that is still loading.
 */
function lumaScript(alt: string, box: [number, number, number, number]): string {
  return `(async () => {
    const image = document.querySelector('img[alt="${alt}"]');
    for (let tries = 0; !(image.complete && image.naturalWidth > 0); tries += 1) {
      if (tries === 200) throw new Error('no preview frame loaded within 4 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const canvas = document.createElement('canvas');
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    const context = canvas.getContext('2d');
    context.drawImage(image, 0, 0);
    const [x, y, w, h] = [${box.join(', ')}];
    const pixels = context.getImageData(Math.round(x * canvas.width), Math.round(y * canvas.height), Math.round(w * canvas.width), Math.round(h * canvas.height)).data;
    let sum = 0;
    for (let i = 0; i < pixels.length; i += 4) sum += 0.299 * pixels[i] + 0.587 * pixels[i + 1] + 0.114 * pixels[i + 2];
    return sum / (pixels.length / 4);
  })()`;
}

describe('operator console: cameras in headless Chromium', () => {
  let dataDir: string;
  let db: CatalogDatabase;
  let components: Components;
  let browser: Browser;
  let page: Page;
  let baseUrl: string;
  let problems: string[];
  let operatorToken: string;

  beforeAll(async () => {
    browser = await launchChromium();
    dataDir = tempDir('pgw-console-cam-');
    const config = testConfig(dataDir, { pipeline: { segmentSeconds: 2, demoCamera: false }, cameras: { previewFps: 4 } });
    db = openCatalog(join(dataDir, 'catalog.db'));
    components = await composeApi(config, silentLogger(), systemClock, db);
    components.cameras.start();
    baseUrl = await components.api.listen({ host: '127.0.0.1', port: 0 });
    const key = components.security.tokenKey;
    operatorToken = await issueLocalToken(key.privateKey, key.keyId, {
      subject: 'olga', roles: ['operator'], ttlSec: 3600, issuer: config.auth.issuer, audience: config.auth.audience, nowSec: Math.floor(Date.now() / 1000),
    });
    page = await browser.newPage({ timezoneId: 'UTC' });
    problems = watchPage(page, baseUrl);
  });

  afterAll(async () => {
    await browser?.close();
    await components?.api.close();
    await components?.cameras.stop();
    components?.security.stop();
    db?.close();
    if (dataDir) removeDir(dataDir);
  });

  it('adds a camera with a privacy mask drawn on the canvas and shows its redacted live preview', async () => {
    await signIn(page, baseUrl, operatorToken);
    await page.getByText('All cameras').waitFor();
    await page.getByRole('button', { name: 'Add a camera' }).click();
    const form = page.getByRole('form', { name: 'Add a camera' });
    await form.getByLabel('Camera id').fill('gate-1');
    await form.getByLabel('Source').fill('testsrc:320x240@5');
    await form.getByLabel('Detection profile').selectOption('none');
    const canvas = form.getByRole('application', { name: 'Privacy mask drawing area' });
    const box = (await canvas.boundingBox())!;
    for (const [x, y] of [[0.05, 0.05], [0.45, 0.05], [0.45, 0.45], [0.05, 0.45]] as const) await canvas.click({ position: { x: x * box.width, y: y * box.height } });
    await form.getByRole('button', { name: 'Close polygon' }).click();
    await form.getByText('1 mask(s).').waitFor();
    await snap(page, 'camera-form');
    await form.getByRole('button', { name: 'Add camera' }).click();
    await page.getByText('Camera gate-1 added and started.').waitFor();
    expect(await page.getByRole('row', { name: /gate-1/ }).getByText('1 mask(s)', { exact: false }).count()).toBe(1);

    const alt = 'Redacted live preview of camera gate-1';
    await page.getByText('Live, redacted.').waitFor({ timeout: 30_000 });
    // Polled from here: waitForFunction polls with eval inside the page, which the console's CSP (rightly) refuses.
    const previewWidth = (): Promise<number> => page.evaluate<number>(`document.querySelector('img[alt="${alt}"]')?.naturalWidth ?? 0`);
    await expect.poll(previewWidth, { timeout: 30_000, interval: 250 }).toBeGreaterThan(0);
    const masked = await page.evaluate<number>(lumaScript(alt, [0.1, 0.1, 0.3, 0.3]));
    const open = await page.evaluate<number>(lumaScript(alt, [0.6, 0.6, 0.3, 0.3]));
    expect(masked).toBeLessThan(20);
    expect(open).toBeGreaterThan(40);
    await page.getByRole('row', { name: /gate-1/ }).getByText('streaming').waitFor({ timeout: 15_000 });
    await snap(page, 'camera-preview');
  });

  it('edits the camera: the mask editor shows the redacted snapshot and the saved mask', async () => {
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByRole('button', { name: 'Edit gate-1' }).click();
    const form = page.getByRole('form', { name: 'Edit camera gate-1' });
    await form.getByText('1 mask(s).').waitFor();
    const canvas = form.getByRole('application', { name: 'Privacy mask drawing area' });
    await canvas.focus();
    for (const key of ['ArrowRight', 'Enter', 'ArrowDown', 'Enter', 'ArrowLeft', 'Enter', 'Escape']) await page.keyboard.press(key);
    await form.getByText('2 mask(s).').waitFor();
    await form.getByRole('button', { name: 'Save camera' }).click();
    await page.getByText('Camera gate-1 saved and restarted.').waitFor();
    const camera = (await components.api.inject({ method: 'GET', url: '/v1/cameras/gate-1', headers: { authorization: `Bearer ${operatorToken}` } })).json();
    expect(camera.masks).toHaveLength(2);
    expect(camera.masks[1]).toEqual([[0.52, 0.5], [0.52, 0.52], [0.5, 0.52]]);
    await snap(page, 'camera-edit');
    expect(problems).toEqual([]);
  });

  it('lists body-worn upload jobs with their state and segment, refreshed by itself', async () => {
    await page.getByText('Body-worn upload jobs, newest first: no uploads since the gateway started.').waitFor();
    const headers = { authorization: `Bearer ${operatorToken}` };
    const added = await components.api.inject({ method: 'POST', url: '/v1/cameras', headers, payload: { id: 'bw-7', kind: 'bodyworn', source: 'upload', profile: 'none' } });
    expect(added.statusCode).toBe(201);
    const accepted = await components.api.inject({ method: 'POST', url: '/v1/uploads?camera=bw-7', headers: { ...headers, 'content-type': 'video/mp4' }, payload: makeClip(1) });
    const id = accepted.json<{ id: string }>().id;
    await components.uploads.service.drain();
    const row = page.getByRole('table', { name: 'Body-worn upload jobs, newest first' }).getByRole('row', { name: new RegExp(id) });
    await row.getByText('done').waitFor({ timeout: 10_000 });
    expect(await row.getByText(/^bw-7-\d{8}T\d{9}Z-[0-9a-f]{8}$/).count()).toBe(1);
    await snap(page, 'upload-jobs');
    expect(problems).toEqual([]);
  });
});
