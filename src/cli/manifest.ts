import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { verifyManifest, type SignedManifest } from '../access/export-manifest.js';
import { GatewayError } from '../shared/errors.js';
import { parseCommandArgs, type CommandIo } from './common.js';
import { COMMAND_USAGE } from './usage.js';

/** `privacy-gateway manifest verify MANIFEST [EXPORT] [--public-key PEM]`: offline check of an unredacted export. */
export async function runManifest(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { 'public-key': { type: 'string' } }, true);
  const [action, manifestPath, exportPath] = positionals;
  if (action !== 'verify' || !manifestPath) throw new GatewayError('PGW_ERR_BAD_REQUEST', COMMAND_USAGE.manifest);
  let manifest: SignedManifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as SignedManifest;
  } catch (error) {
    io.stdout.write(`${JSON.stringify({ ok: false, problems: [`manifest unreadable: ${(error as Error).message}`] })}\n`);
    return 1;
  }
  const trusted = values['public-key'] ? createPublicKey(readFileSync(values['public-key'])) : undefined;
  const result = verifyManifest(manifest, exportPath ? readFileSync(exportPath) : undefined, trusted);
  const keyNote = trusted ? 'checked against the given public key' : 'checked against the key embedded in the manifest; pass --public-key to pin it';
  io.stdout.write(`${JSON.stringify({ ...result, exportChecked: exportPath !== undefined, key: keyNote, segments: manifest.segments?.length ?? 0 })}\n`);
  return result.ok ? 0 : 1;
}
