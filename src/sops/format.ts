// SOPS file formats, chosen from a path's extension as SOPS and Flux do, and the marker bytes that
// tell an encrypted file from a plain one without parsing it.
import * as path from 'node:path';

export type SopsFormat = 'yaml' | 'json' | 'dotenv' | 'ini' | 'binary';

export function formatForPath(p: string): SopsFormat {
  switch (path.posix.extname(p).toLowerCase()) {
    case '.yaml':
    case '.yml':
      return 'yaml';
    case '.json':
      return 'json';
    case '.env':
      return 'dotenv';
    case '.ini':
      return 'ini';
    default:
      return 'binary';
  }
}

const markers: Record<SopsFormat, Buffer> = {
  // The binary format is a JSON envelope at rest.
  binary: Buffer.from('"mac": "ENC['),
  json: Buffer.from('"mac": "ENC['),
  dotenv: Buffer.from('sops_mac=ENC['),
  ini: Buffer.from('[sops]'),
  yaml: Buffer.from('mac: ENC['),
};

export function hasMarker(bytes: Uint8Array, format: SopsFormat): boolean {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes(markers[format]);
}

/** The format whose marker the bytes carry (JSON before YAML: a JSON file never carries the YAML one). */
export function detectFormat(bytes: Uint8Array): SopsFormat | undefined {
  for (const f of ['json', 'yaml', 'dotenv', 'ini'] as const) if (hasMarker(bytes, f)) return f;
  return undefined;
}
