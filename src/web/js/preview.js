import { api } from './api.js';

const HEADER_END = [13, 10, 13, 10];

function indexOf(buffer, pattern, from = 0) {
  outer: for (let i = from; i <= buffer.length - pattern.length; i += 1) {
    for (let j = 0; j < pattern.length; j += 1) if (buffer[i + j] !== pattern[j]) continue outer;
    return i;
  }
  return -1;
}

function concat(a, b) {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

/** Splits a multipart/x-mixed-replace byte stream into JPEG frames using each part's content-length. */
export function takeFrames(buffer) {
  const frames = [];
  let rest = buffer;
  for (;;) {
    const end = indexOf(rest, HEADER_END);
    if (end < 0) break;
    const headers = new TextDecoder().decode(rest.subarray(0, end));
    const length = Number(/content-length:\s*(\d+)/i.exec(headers)?.[1]);
    if (!Number.isFinite(length)) {
      rest = rest.subarray(end + 4);
      continue;
    }
    const start = end + 4;
    if (rest.length < start + length) break;
    frames.push(rest.slice(start, start + length));
    rest = rest.subarray(start + length);
  }
  return { frames, rest };
}

/** The image at `url`, decoded; null when it does not decode (a damaged frame). */
async function decodedImage(url) {
  const image = new Image();
  image.src = url;
  try {
    await image.decode();
    return image;
  } catch {
    return null;
  }
}

/**
 * Shows the camera's redacted MJPEG preview in `image`. The stream needs the bearer token, which an
 * <img src> cannot send, so it is read with fetch and each frame becomes a blob URL.
 */
export async function playPreview(cameraId, image, signal, onFrame) {
  const response = await api(`/v1/cameras/${encodeURIComponent(cameraId)}/preview.mjpeg`, { raw: true, signal });
  const reader = response.body.getReader();
  let buffer = new Uint8Array(0);
  let shown = null;
  signal.addEventListener('abort', () => {
    if (shown) URL.revokeObjectURL(shown);
  });
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    const { frames, rest } = takeFrames(concat(buffer, value));
    buffer = rest;
    const latest = frames.at(-1);
    if (!latest) continue;
    const url = URL.createObjectURL(new Blob([latest], { type: 'image/jpeg' }));
    // Decoded before it is shown, so the element swaps frames at once instead of blanking while the next one loads.
    if ((await decodedImage(url)) === null) {
      URL.revokeObjectURL(url);
      continue;
    }
    image.src = url;
    if (shown) URL.revokeObjectURL(shown);
    shown = url;
    onFrame?.();
  }
}

/** The latest redacted frame as an image element (for drawing masks), or null before the first frame. */
export async function snapshotImage(cameraId, signal) {
  const response = await api(`/v1/cameras/${encodeURIComponent(cameraId)}/preview.jpg`, { raw: true, signal });
  if (response.status === 204) return null;
  const image = await decodedImage(URL.createObjectURL(await response.blob()));
  if (image === null) throw new Error('the latest preview frame does not decode');
  return image;
}
