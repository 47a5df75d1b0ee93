import { describe, expect, it } from 'vitest';
import { COMMAND_USAGE } from '../../src/cli/usage.js';
import { runCli } from '../../src/main.js';
import { tempDir } from '../pipeline/helpers.js';
import { captureIo } from './capture-io.js';

describe('privacy-gateway help', () => {
  it.each(Object.keys(COMMAND_USAGE))('`%s --help` and `help %s` print the synopsis and run nothing', async (name) => {
    const dataDir = tempDir();
    for (const argv of [[name, '--help'], [name, 'verify', '-h'], ['help', name]]) {
      const { io, text } = captureIo();
      expect(await runCli([...argv, '--data-dir', dataDir], io)).toBe(0);
      expect(text.out).toMatch(new RegExp(`^usage: privacy-gateway ${name} `));
      expect(text.err).toBe('');
    }
  });

  it('an unknown flag names the flag and quotes the synopsis; the general help points at per-command help', async () => {
    const { io, text } = captureIo();
    expect(await runCli(['token', '--bogus'], io)).toBe(1);
    expect(text.err).toBe(`privacy-gateway token: Unknown option '--bogus'\n${COMMAND_USAGE.token}\n`);
    const general = captureIo();
    expect(await runCli(['--help'], general.io)).toBe(0);
    expect(general.text.out).toContain("'privacy-gateway <command> --help' shows a command's options.");
  });

  it('after `--`, --help is an operand, not a request for help', async () => {
    const { io, text } = captureIo();
    expect(await runCli(['manifest', 'verify', '--', '--help'], io)).toBe(1);
    expect(text.out).toContain('manifest unreadable');
  });
});
