/** Flags every command that reads configuration accepts (see CONFIG_FLAGS). */
const CONFIG = '[--config FILE] [--data-dir DIR]';

/** Each command's synopsis: what `privacy-gateway <command> --help` prints and what its usage errors quote. */
export const COMMAND_USAGE = {
  start: `usage: privacy-gateway start ${CONFIG} [--port N]`,
  token: `usage: privacy-gateway token --sub NAME --role ROLE [--role ROLE]... [--ttl 1h|90m|1d] [--amr mfa]... ${CONFIG}`,
  audit: `usage: privacy-gateway audit verify [--checkpoint FILE]... ${CONFIG}`,
  manifest: 'usage: privacy-gateway manifest verify MANIFEST [EXPORT] [--public-key gateway-ed25519.pub.pem]',
  keys: `usage: privacy-gateway keys status|rotate ${CONFIG}`,
  uplink: `usage: privacy-gateway uplink drain [--timeout-ms N] ${CONFIG}`,
  redact: `usage: privacy-gateway redact <input...> --out-dir DIR [--report FILE.json] [--style pixelate|blur|fill] [--classes face,plate] [--profile thorough|live|none] ${CONFIG}`,
  eval: `usage: privacy-gateway eval [--set PATH/labels.json]... [--profile live|thorough] [--limit N] [--json] [--output FILE] [--check] [--baseline FILE] [--models-dir DIR] ${CONFIG}`,
} as const;

export type CommandName = keyof typeof COMMAND_USAGE;

/** Whether the arguments ask for help: `--help` or `-h` before any `--`, after which they would be operands. */
export function asksForHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}
