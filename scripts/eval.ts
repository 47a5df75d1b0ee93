import { processIo } from '../src/cli/common.js';
import { runEval } from '../src/cli/eval.js';
import { describeError } from '../src/shared/errors.js';
import { relaunchWithMallocTunables } from '../src/shared/malloc-tunables.js';

// The evaluation detects in this process, like `privacy-gateway eval`: same malloc settings.
const relaunched = relaunchWithMallocTunables();
if (relaunched) process.exit(await relaunched);

runEval(process.argv.slice(2), processIo).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`eval: ${describeError(error)}\n`);
    process.exitCode = 1;
  },
);
