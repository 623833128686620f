// Every SOPS failure names the file and says why, never a value (plain or encrypted).

/** format: not a readable SOPS document; key: no identity opens it; mac: integrity check failed;
 * value: a value does not decrypt; unsupported: only a provider Mooring cannot reach opens it. */
export type SopsErrorKind = 'format' | 'key' | 'mac' | 'value' | 'unsupported';

export class SopsError extends Error {
  constructor(
    readonly file: string,
    readonly kind: SopsErrorKind,
    readonly why: string,
  ) {
    super(`${file}: ${why}`);
  }
}
