import { describeError } from '../shared/errors.js';

/**
 * Passes an export's stream through. If it fails part-way (the client sees it cut short), `record` stores and audits
 * why before the error goes on, so the manifest request can say why there is none.
 */
export async function* recordingFailure<T>(stream: AsyncIterable<T>, record: (reason: string) => void): AsyncGenerator<T> {
  try {
    yield* stream;
  } catch (error) {
    record(describeError(error));
    throw error;
  }
}
