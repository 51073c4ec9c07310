// The blob store a command reads and writes: a local directory (FsBlobStore) when storeDir is
// set, else the store server at storeUrl (HttpBlobStore, which verifies every blob it reads).
import type { StreamingBlobStore } from "../store/blob-store.ts";
import { FsBlobStore } from "../store/fs-store.ts";
import { HttpBlobStore } from "../store/http-client.ts";
import type { CliConfig } from "./config.ts";

export function openStore(config: CliConfig): { store: StreamingBlobStore; where: string } {
  if (config.storeDir !== undefined)
    return { store: new FsBlobStore({ root: config.storeDir }), where: config.storeDir };
  return {
    store: new HttpBlobStore({
      url: config.storeUrl,
      ...(config.storeToken === undefined ? {} : { token: config.storeToken }),
      retries: 1,
      timeoutMs: 10_000,
    }),
    where: config.storeUrl,
  };
}
