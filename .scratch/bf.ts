import { createHash } from 'node:crypto';
import { bruteForceMacSuffixes } from '../test/sensors/helpers/mac-suffix-scan.ts';
const planted = 'aa:bb:cc:12:ab:ef';
const token = createHash('sha256').update(planted).digest().subarray(0, 16).toString('base64url');
const t = performance.now();
console.log(bruteForceMacSuffixes('aa:bb:cc', [JSON.stringify({ x: token, y: 'zzzzzzzzzzzzzzzzzz' })]), performance.now() - t);
