import { parentPort } from 'node:worker_threads';
import type { Detector } from './detector.js';
import type { HostMessage, WorkerMessage } from './detector-protocol.js';
import { createDetector } from './registry.js';

/**
 * The detector worker: the one owner of the detection runtime (TF.js WASM) in its thread. It reads analysis
 * frames straight from the shared frame pool and answers with boxes; it never logs per frame.
 */
const port = parentPort;
if (port === null) throw new Error('detector-worker must run in a worker thread');

let detector: Detector | undefined;
let pool: SharedArrayBuffer | undefined;
let slotBytes = 0;

function send(message: WorkerMessage): void {
  port?.postMessage(message);
}

async function handle(message: HostMessage): Promise<void> {
  switch (message.type) {
    case 'init':
      try {
        detector = await createDetector(message.spec);
        send({ type: 'ready', detectorId: detector.id, models: [...detector.models] });
      } catch (error) {
        send({ type: 'init-failed', message: (error as Error).message });
      }
      return;
    case 'pool':
      pool = message.memory;
      slotBytes = message.slotBytes;
      return;
    case 'size': {
      const size = (detector as Detector).inputSize(message.sourceWidth, message.sourceHeight);
      send({ type: 'size', id: message.id, width: size.width, height: size.height });
      return;
    }
    case 'detect': {
      if (detector === undefined || pool === undefined) {
        send({ type: 'failed', id: message.id, message: 'detector worker not initialised' });
        return;
      }
      const data = new Uint8Array(pool, message.slot * slotBytes, message.width * message.height * 3);
      try {
        const detections = await detector.detect({ width: message.width, height: message.height, data }, message.frame);
        send({ type: 'result', id: message.id, detections });
      } catch (error) {
        send({ type: 'failed', id: message.id, message: (error as Error).message });
      }
      return;
    }
    case 'close':
      await detector?.dispose();
      port?.close();
      return;
  }
}

// One message at a time: `close` must not release the models while a detection is still running in them.
let handled: Promise<void> = Promise.resolve();
port.on('message', (message: HostMessage) => {
  handled = handled.then(() => handle(message));
});
