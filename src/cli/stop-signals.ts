import type { Logger } from '../shared/logger.js';

/** The signals close-with-grace stops on; the gateway takes them over to tell a repeat from an insistence. */
export const STOP_SIGNALS = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGSEGV', 'SIGUSR2', 'SIGTERM'] as const satisfies readonly NodeJS.Signals[];

/**
 * A terminal's Ctrl-C reaches every process of its group, and `npm start` and tsx each relay it to the gateway as
 * well: one key press arrives two or three times within milliseconds. A repeat within this window is that same
 * press; a later one is the operator insisting.
 */
export const REPEAT_WINDOW_MS = 1500;

/**
 * Calls `stop` on the first stop signal. A repeat within `REPEAT_WINDOW_MS` is ignored; a signal after that exits
 * at once with status 1, without waiting for the stop. Returns a function that removes the listeners.
 */
export function onStopSignals(stop: (signal: NodeJS.Signals) => void, logger: Logger, now: () => number = Date.now): () => void {
  let first: number | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    const at = now();
    if (first === undefined) {
      first = at;
      stop(signal);
      return;
    }
    if (at - first < REPEAT_WINDOW_MS) return;
    logger.error({ signal }, 'stop signal repeated: exiting without waiting for the stop');
    process.exit(1);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  return () => {
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
  };
}
