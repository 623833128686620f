import { readFileSync } from 'node:fs';
import type { Command } from './command.js';

export function mooringVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export const versionCommand: Command = {
  name: 'version',
  usage: 'mooring version',
  async run() {
    console.log(`mooring ${mooringVersion()} (node ${process.version})`);
    return 0;
  },
};
