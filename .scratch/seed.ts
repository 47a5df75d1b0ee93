import { SensorPolicyStore } from '../src/sensors/policy-store.ts';
import { minimize } from '../src/sensors/policy-engine.ts';
import { ManualClock } from '../src/shared/clock.ts';
const set = new SensorPolicyStore({ filePath: '/nonexistent/x.json', seedDir: 'config/policies', clock: new ManualClock() }).load();
const p = set.policies.find((x) => x.id === 'service-request-311')!;
console.log(JSON.stringify(minimize(p, { category: 'pothole', description: 'Deep pothole near 300 S Salina St, call Jane at 315-555-0142 or jane@example.org; blue car NY 4821 hit it', location: { lat: 43.047123, lon: -76.15123 }, ts: '2026-03-01T10:22:00Z', reporterName: 'Jane Roe', phone: '3155550142' }, { pseudonymize: () => 'x' })));
