// Shamir's secret sharing over GF(2^8) as SOPS uses it (HashiCorp Vault's shamir package): each part
// is the share bytes followed by its x coordinate; the secret is the polynomials' value at 0.

function mult(a: number, b: number): number {
  let r = 0;
  for (let i = 7; i >= 0; i--) {
    r = ((r << 1) ^ (r & 0x80 ? 0x1b : 0) ^ ((b >> i) & 1 ? a : 0)) & 0xff;
  }
  return r;
}

function inverse(a: number): number {
  // a^254 = a^-1 in GF(2^8)
  let result = 1;
  let base = a;
  let e = 254;
  while (e > 0) {
    if (e & 1) result = mult(result, base);
    base = mult(base, base);
    e >>= 1;
  }
  return result;
}

export function combine(parts: Uint8Array[]): Uint8Array {
  if (parts.length < 2) throw new Error('less than two parts cannot be used to reconstruct the secret');
  const len = parts[0]!.length;
  if (len < 2 || parts.some((p) => p.length !== len)) throw new Error('all parts must be the same length');
  const xs = parts.map((p) => p[len - 1]!);
  if (new Set(xs).size !== xs.length) throw new Error('duplicate part detected');
  const secret = new Uint8Array(len - 1);
  for (let idx = 0; idx < len - 1; idx++) {
    let result = 0;
    for (let i = 0; i < parts.length; i++) {
      let basis = 1;
      for (let j = 0; j < parts.length; j++) {
        if (i === j) continue;
        // (0 - x_j) / (x_i - x_j); subtraction is xor
        basis = mult(basis, mult(xs[j]!, inverse(xs[i]! ^ xs[j]!)));
      }
      result ^= mult(parts[i]![idx]!, basis);
    }
    secret[idx] = result;
  }
  return secret;
}

/** Splits a secret (for tests: building multi-group fixtures). `random` returns n random bytes. */
export function split(
  secret: Uint8Array,
  n: number,
  threshold: number,
  random: (n: number) => Uint8Array,
): Uint8Array[] {
  const xs: number[] = [];
  while (xs.length < n) {
    const x = random(1)[0]!;
    if (x !== 0 && !xs.includes(x)) xs.push(x);
  }
  const parts = xs.map((x) => {
    const p = new Uint8Array(secret.length + 1);
    p[secret.length] = x;
    return p;
  });
  for (let idx = 0; idx < secret.length; idx++) {
    const coeffs = [secret[idx]!, ...random(threshold - 1)];
    parts.forEach((p, k) => {
      let y = 0;
      for (let c = coeffs.length - 1; c >= 0; c--) y = mult(y, xs[k]!) ^ coeffs[c]!;
      p[idx] = y;
    });
  }
  return parts;
}
