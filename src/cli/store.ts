// The blob store a command reads and writes: a local directory (FsBlobStore) when storeDir is
// set, else the shared store of the config (src/node/shared-store.ts): the store server at
// storeUrl (HttpBlobStore, which verifies every blob it reads) or, with an `ipfs` section, an
// embedded IPFS node that lives while the command runs. Close what this returns when done.
import { openSharedStore, type SharedStore } from "../node/shared-store.ts";
import { FsBlobStore } from "../store/fs-store.ts";
import type { CliConfig } from "./config.ts";
import { UsageError } from "./errors.ts";

export async function openStore(config: CliConfig): Promise<SharedStore> {
  if (config.storeDir !== undefined)
    return {
      store: new FsBlobStore({ root: config.storeDir }),
      where: config.storeDir,
      close: async () => undefined,
    };
  // INVARIANT: blobs a command uploads outlive it. An in-memory node would drop them at exit.
  if (config.ipfs !== undefined && config.ipfs.repoDir === undefined)
    throw new UsageError(
      "the config's ipfs section needs a repoDir: the command's IPFS node stops when it ends, and blobs kept only in its memory would go with it",
    );
  return openSharedStore(config, {
    http: {
      ...(config.storeToken === undefined ? {} : { token: config.storeToken }),
      retries: 1,
      timeoutMs: 10_000,
    },
  });
}
