// The explorer's port when none is given, beside the devnet's RPC (8545) and store (8700): one
// number for `assay explorer`, `assay devnet` and the devnet it runs. No imports, so the CLI's
// devnet command reads it without loading the explorer.
export const DEFAULT_EXPLORER_PORT = 8780;
