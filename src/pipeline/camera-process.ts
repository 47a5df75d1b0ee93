import { mediaTools } from '../media/media-tools.js';
import { systemClock } from '../shared/clock.js';
import { describeError } from '../shared/errors.js';
import { createLogger } from '../shared/logger.js';
import { FAULT_EXIT_CODE, type CameraMessage, type SupervisorMessage } from './camera-protocol.js';
import { CameraRunner } from './camera-runner.js';
import { ParentChannel } from './parent-channel.js';

/**
 * Entry of a camera process (forked by the camera supervisor, one per camera): pixels of this camera never
 * enter the gateway's main process. Exits 0 after a requested stop, FAULT_EXIT_CODE after a fault.
 */
const channel = new ParentChannel<CameraMessage>();

process.once('message', (first: SupervisorMessage) => {
  if (first.type !== 'start') return;
  const logger = createLogger({ level: process.env.PGW_CAMERA_LOG_LEVEL ?? 'warn' }).child({ module: 'camera', camera: first.spec.camera.id });
  const runner = new CameraRunner(first.spec, { tools: mediaTools(), clock: systemClock, logger, send: (message) => channel.send(message) });
  process.on('message', (message: SupervisorMessage) => {
    if (message.type === 'stop') runner.stop();
  });
  process.once('disconnect', () => runner.stop());
  runner.run().then(
    (fault) => {
      if (fault) channel.send({ type: 'fault', ...fault });
      process.exitCode = fault ? FAULT_EXIT_CODE : 0;
      return channel.close();
    },
    (error: unknown) => {
      channel.send({ type: 'fault', fault: 'start_failed', message: describeError(error) });
      process.exitCode = FAULT_EXIT_CODE;
      return channel.close();
    },
  );
});
