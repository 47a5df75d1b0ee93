/**
 * Brute force of a 2^24 MAC suffix space (A8), fast enough for a unit test: a single-block SHA-256
 * specialised for the 17-byte canonical MAC `oo:oo:oo:xx:yy:zz`, computing only the first 32-bit word
 * of each digest and checking it against the first words of every token in the gateway's output.
 * A hit on 32 bits is then confirmed with node:crypto on the full token.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';

const SCAN_CHILD = 'test/sensors/fixtures/mac-scan-child.ts';

const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
].map((value) => value | 0));
const H = Int32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19].map((value) => value | 0));

/** First 32 bits of SHA-256 over one padded block whose 16 words are in `w` (64 slots). */
function firstWord(w: Int32Array): number {
  for (let t = 16; t < 64; t++) {
    const x = w[t - 15] as number;
    const y = w[t - 2] as number;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[t] = ((w[t - 16] as number) + s0 + (w[t - 7] as number) + s1) | 0;
  }
  let a = H[0] as number;
  let b = H[1] as number;
  let c = H[2] as number;
  let d = H[3] as number;
  let e = H[4] as number;
  let f = H[5] as number;
  let g = H[6] as number;
  let h = H[7] as number;
  for (let t = 0; t < 64; t++) {
    const sigma1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + sigma1 + ((e & f) ^ (~e & g)) + (K[t] as number) + (w[t] as number)) | 0;
    const sigma0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (sigma0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  return (a + (H[0] as number)) >>> 0;
}

const HEX = Array.from({ length: 256 }, (_, byte) => {
  const text = byte.toString(16).padStart(2, '0');
  return (text.charCodeAt(0) << 8) | text.charCodeAt(1);
});

function word(text: string, offset: number): number {
  return ((text.charCodeAt(offset) << 24) | (text.charCodeAt(offset + 1) << 16) | (text.charCodeAt(offset + 2) << 8) | text.charCodeAt(offset + 3)) >>> 0;
}

/** The first 32 bits of every token-like string (base64url or hex) in the output, as an attacker would collect them. */
export function tokenPrefixes(strings: Iterable<string>): Map<number, string[]> {
  const prefixes = new Map<number, string[]>();
  const add = (bytes: Buffer, token: string): void => {
    if (bytes.length < 4) return;
    const key = bytes.readUInt32BE(0);
    prefixes.set(key, [...(prefixes.get(key) ?? []), token]);
  };
  for (const text of strings) {
    for (const token of text.split(/[^A-Za-z0-9_-]+/)) {
      if (token.length < 8) continue;
      add(Buffer.from(token, 'base64url'), token);
      if (/^[0-9a-f]+$/i.test(token) && token.length % 2 === 0) add(Buffer.from(token, 'hex'), token);
    }
  }
  return prefixes;
}

function confirms(mac: string, token: string): boolean {
  const digest = createHash('sha256').update(mac).digest();
  const asBase64 = Buffer.from(token, 'base64url');
  const asHex = /^[0-9a-f]+$/i.test(token) ? Buffer.from(token, 'hex') : Buffer.alloc(0);
  return [asBase64, asHex].some((bytes) => bytes.length >= 8 && digest.subarray(0, bytes.length).equals(bytes));
}

/**
 * Tries every suffix `xx:yy:zz` in [from, to) after `oui` (`aa:bb:cc`), lowercase canonical form,
 * against the output: as a raw string and as its unkeyed SHA-256. Returns the MACs it recovered.
 */
export function bruteForceMacSuffixes(oui: string, outputStrings: readonly string[], from = 0, to = 1 << 24): string[] {
  const found = new Set<string>();
  const raw = new RegExp(`${oui.replace(/:/g, '[:-]?')}[:-]?[0-9a-f]{2}[:-]?[0-9a-f]{2}[:-]?[0-9a-f]{2}`, 'gi');
  for (const text of outputStrings) for (const match of text.match(raw) ?? []) found.add(match.toLowerCase());
  const prefixes = tokenPrefixes(outputStrings);
  const base = `${oui}:00:00:00`;
  const w = new Int32Array(64);
  w[0] = word(base, 0) | 0;
  w[1] = word(base, 4) | 0;
  w[15] = 17 * 8;
  for (let suffix = from; suffix < to; suffix++) {
    const d = HEX[suffix >>> 16] as number;
    const e = HEX[(suffix >>> 8) & 255] as number;
    const f = HEX[suffix & 255] as number;
    w[2] = 0x3a000000 | (d << 8) | 0x3a;
    w[3] = (e << 16) | (0x3a << 8) | (f >>> 8);
    w[4] = ((f & 255) << 24) | 0x800000;
    const candidates = prefixes.get(firstWord(w));
    if (!candidates) continue;
    const mac = `${oui}:${String.fromCharCode(d >> 8, d & 255)}:${String.fromCharCode(e >> 8, e & 255)}:${String.fromCharCode(f >> 8, f & 255)}`;
    if (candidates.some((token) => confirms(mac, token))) found.add(mac);
  }
  return [...found];
}

/** The same scan split over child processes (one per core), for the full 2^24 space in a few seconds. */
export async function bruteForceMacSuffixesInParallel(oui: string, outputStrings: readonly string[], processes = Math.max(1, Math.min(4, availableParallelism()))): Promise<string[]> {
  const share = Math.ceil((1 << 24) / processes);
  const runs = Array.from({ length: processes }, (_, index) => {
    const child = spawn(process.execPath, [SCAN_CHILD, oui, String(index * share), String(Math.min(1 << 24, (index + 1) * share))], {
      env: { ...process.env, NODE_OPTIONS: '--import tsx' },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    child.stdin.end(JSON.stringify(outputStrings));
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    return new Promise<string[]>((resolve, reject) =>
      child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(stdout) as string[]) : reject(new Error(`scan child exited with ${code}`)))),
    );
  });
  return [...new Set((await Promise.all(runs)).flat())];
}
