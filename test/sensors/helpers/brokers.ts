/**
 * MQTT brokers for the sensor tests: the real Mosquitto at MQTT_URL (default 127.0.0.1:1883) when it
 * answers, else an embedded aedes broker; and a restartable broker with persistence for the restart
 * tests (a second Mosquitto on a free port with its own data directory, or aedes with a persistence
 * store that outlives the broker). The shared broker on 1883 is never restarted.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { createServer, Socket, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import memoryPersistenceModule, { type AedesMemoryPersistence } from 'aedes-persistence';

// The package is CommonJS (module.exports = factory); its typings describe it as a namespace.
const memoryPersistence = memoryPersistenceModule as unknown as () => AedesMemoryPersistence;

export interface TestBroker {
  readonly url: string;
  readonly protocolVersion: 4 | 5;
  readonly kind: 'mosquitto' | 'aedes';
  close(): Promise<void>;
}

export interface RestartableBroker extends TestBroker {
  /** Stops the broker (its persistent state stays) and starts it again on the same port. */
  restart(downMs?: number): Promise<void>;
}

function reachable(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.setTimeout(500);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
    socket.connect(port, host);
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('broker did not come up in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function startAedes(port: number, persistence = memoryPersistence()): Promise<{ close(): Promise<void> }> {
  const broker = await Aedes.createBroker({ persistence });
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The broker sensors publish to in these tests. */
export async function sharedBroker(): Promise<TestBroker> {
  const url = new URL(process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883');
  const port = Number(url.port || 1883);
  if (await reachable(port, url.hostname)) return { url: url.toString(), protocolVersion: 5, kind: 'mosquitto', close: async () => {} };
  const fallbackPort = await freePort();
  const aedes = await startAedes(fallbackPort);
  return { url: `mqtt://127.0.0.1:${fallbackPort}`, protocolVersion: 4, kind: 'aedes', close: () => aedes.close() };
}

function mosquittoAvailable(): boolean {
  return spawnSync('mosquitto', ['-h'], { stdio: 'ignore' }).error === undefined;
}

async function startMosquitto(port: number, dataDir: string): Promise<ChildProcess> {
  // The broker may drop root privileges to its own user; its data directory must stay writable for it.
  chmodSync(dataDir, 0o777);
  const configPath = join(dataDir, 'mosquitto.conf');
  writeFileSync(configPath, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence true', `persistence_location ${dataDir}/`, 'autosave_interval 1', ''].join('\n'));
  const child = spawn('mosquitto', ['-c', configPath], { stdio: 'ignore' });
  await waitFor(() => reachable(port, '127.0.0.1'), 10_000);
  return child;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** A broker of our own that can be restarted without losing its persistent sessions. */
export async function restartableBroker(dataDir: string): Promise<RestartableBroker> {
  const port = await freePort();
  const url = `mqtt://127.0.0.1:${port}`;
  if (mosquittoAvailable()) {
    let child = await startMosquitto(port, dataDir);
    return {
      url,
      protocolVersion: 5,
      kind: 'mosquitto',
      restart: async (downMs = 300) => {
        await stopProcess(child);
        await new Promise((resolve) => setTimeout(resolve, downMs));
        child = await startMosquitto(port, dataDir);
      },
      close: () => stopProcess(child),
    };
  }
  const persistence = memoryPersistence();
  let broker = await startAedes(port, persistence);
  return {
    url,
    protocolVersion: 4,
    kind: 'aedes',
    restart: async (downMs = 300) => {
      await broker.close();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      broker = await startAedes(port, persistence);
    },
    close: () => broker.close(),
  };
}
