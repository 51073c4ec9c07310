// Who is who in the demo's narration: each account's part (submitter, provider-honest, referee-2…),
// and a short form of any hex value.
import type { Address } from "viem";

/** The first bytes of a hex value, for a narration line. */
export function short(hex: string): string {
  return `${hex.slice(0, 8)}…`;
}

export class Names {
  readonly #names = new Map<string, string>();

  set(address: Address | string, name: string): void {
    this.#names.set(address.toLowerCase(), name);
  }

  /** The account's part, or its short address when it has none. */
  name(address: Address | string): string {
    return this.#names.get(address.toLowerCase()) ?? short(address);
  }

  /** The part and the short address: `verifier (0x90F79b…)`. */
  label(address: Address | string): string {
    return `${this.name(address)} (${short(address)})`;
  }
}
