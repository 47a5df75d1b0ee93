#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { describeError, isGatewayError } from './shared/errors.js';
import { processIo, type CommandIo } from './cli/common.js';
import { asksForHelp, COMMAND_USAGE, type CommandName } from './cli/usage.js';
import { relaunchWithMallocTunables } from './shared/malloc-tunables.js';

type CommandRunner = (argv: string[], io: CommandIo) => Promise<number>;

/** Commands load lazily so that `redact` never pays for the API and `start` never for eval. */
const COMMANDS: Record<CommandName, { summary: string; load: () => Promise<CommandRunner> }> = {
  start: { summary: 'run the gateway (API, cameras, sensors, uplink)', load: async () => (await import('./cli/start.js')).runStart },
  token: { summary: 'issue a JWT from the local issuer (--sub, --role, --ttl)', load: async () => (await import('./cli/token.js')).runToken },
  audit: { summary: 'audit verify: check the hash-chained audit log', load: async () => (await import('./cli/audit.js')).runAudit },
  manifest: { summary: 'manifest verify MANIFEST [EXPORT]: check an unredacted export offline', load: async () => (await import('./cli/manifest.js')).runManifest },
  keys: { summary: 'keys status|rotate: the vault\'s key-encryption keys', load: async () => (await import('./cli/keys.js')).runKeys },
  uplink: { summary: 'uplink drain: deliver the outbox backlog now', load: async () => (await import('./cli/uplink.js')).runUplink },
  redact: { summary: 'redact faces and plates in image and video files', load: async () => (await import('./cli/redact.js')).runRedact },
  eval: { summary: 'measure face and plate redaction recall/precision on labelled image sets', load: async () => (await import('./cli/eval.js')).runEval },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(16)} ${command.summary}`);
  return ['usage: privacy-gateway <command> [options]', '', 'commands:', ...lines, '', "'privacy-gateway <command> --help' shows a command's options.", ''].join('\n');
}

function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

/** An unknown or malformed flag is followed by the command's synopsis. */
function failureText(name: CommandName, error: unknown): string {
  const text = describeError(error);
  return isGatewayError(error) && error.context['usage'] === true ? `${text}\n${COMMAND_USAGE[name]}` : text;
}

export async function runCli(argv: string[], io: CommandIo = processIo): Promise<number> {
  const [name = 'start', ...rest] = argv;
  if (name === 'help' && rest[0] !== undefined && isCommandName(rest[0])) return runCli([rest[0], '--help'], io);
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage());
    return 0;
  }
  if (!isCommandName(name)) {
    io.stderr.write(`privacy-gateway: unknown command '${name}'\n${usage()}`);
    return 2;
  }
  const command = COMMANDS[name];
  if (asksForHelp(rest)) {
    io.stdout.write(`${COMMAND_USAGE[name]}\n\n  ${command.summary}\n`);
    return 0;
  }
  try {
    const run = await command.load();
    return await run(rest, io);
  } catch (error) {
    io.stderr.write(`privacy-gateway ${name}: ${failureText(name, error)}\n`);
    return 1;
  }
}

const entryPath = process.argv[1];
const isEntry = entryPath !== undefined && import.meta.url === pathToFileURL(realpathSync(entryPath)).href;
/** Commands that detect in this process (offline files): they run with the detector's malloc settings. */
const DETECTING_COMMANDS = new Set(['redact', 'eval']);

if (isEntry) {
  const argv = process.argv.slice(2);
  const relaunched = DETECTING_COMMANDS.has(argv[0] ?? '') ? relaunchWithMallocTunables() : null;
  (relaunched ?? runCli(argv)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`privacy-gateway: ${describeError(error)}\n`);
      process.exitCode = 1;
    },
  );
}
