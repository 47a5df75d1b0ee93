import { z } from 'zod';
import { policySchema } from '../src/sensors/policy-schema.ts';
console.log(JSON.stringify(z.toJSONSchema(policySchema, { io: 'input', target: 'draft-7', unrepresentable: 'any' })).slice(0, 1500));
