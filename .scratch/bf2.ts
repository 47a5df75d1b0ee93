import { createHash } from 'node:crypto';
import { bruteForceMacSuffixes } from '../test/sensors/helpers/mac-suffix-scan.ts';
const planted = 'aa:bb:cc:12:ab:ef';
const token = createHash('sha256').update(planted).digest().subarray(0, 16).toString('base64url');
const t = performance.now(); const c = process.cpuUsage();
console.log(bruteForceMacSuffixes('aa:bb:cc', [JSON.stringify({ x: token })]), 'wall', performance.now() - t, 'cpu', process.cpuUsage(c).user / 1000);
