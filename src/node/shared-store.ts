// The shared blob store of a daemon or a CLI command, from its config: the store server at
// storeUrl (HttpBlobStore), or, when the config has an `ipfs` section, an embedded IPFS node
// (IpfsBlobStore over src/store/ipfs-node.ts). Whoever opens one closes it: for IPFS that stops
// the node (its listeners and connections would otherwise keep the process alive). The IPFS stack
// is imported only when asked for, so HTTP users never load it.
import type { StreamingBlobStore } from "../store/blob-store.ts";
import { HttpBlobStore, type HttpBlobStoreOptions } from "../store/http-client.ts";
import { oneLine } from "../errors.ts";
import type { NodeConfig } from "./config.ts";

export interface SharedStore {
  store: StreamingBlobStore;
  /** Where the blobs are, for messages: the store URL, or the IPFS node's peer id. */
  where: string;
  /** Releases what the store holds (stops the IPFS node); idempotent. */
  close(): Promise<void>;
}

/** Where a store reports what a person should know (a configured peer it cannot reach). */
export interface SharedStoreLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface OpenSharedStoreOptions {
  /** HttpBlobStore settings other than the URL (the CLI's token, retries, timeout). */
  http?: Omit<HttpBlobStoreOptions, "url">;
  log?: SharedStoreLog;
}

export async function openSharedStore(
  config: Pick<NodeConfig, "storeUrl" | "ipfs">,
  options: OpenSharedStoreOptions = {},
): Promise<SharedStore> {
  if (config.ipfs === undefined) {
    return {
      store: new HttpBlobStore({ ...options.http, url: config.storeUrl }),
      where: config.storeUrl,
      close: async () => undefined,
    };
  }
  const [{ startIpfsNode }, { ipfsBlobStoreOn }] = await Promise.all([
    import("../store/ipfs-node.ts"),
    import("../store/ipfs-store.ts"),
  ]);
  const { node, unreachable } = await startIpfsNode(config.ipfs);
  options.log?.info(
    { peerId: node.peerId, listen: node.multiaddrs(), peers: config.ipfs.peers.length },
    "ipfs node started",
  );
  for (const { peer, error } of unreachable)
    options.log?.warn(
      { peer, err: oneLine(error) },
      "ipfs peer unreachable (dialed again when a blob is missing)",
    );
  const store = ipfsBlobStoreOn(node);
  return { store, where: `the IPFS node ${node.peerId}`, close: () => node.stop() };
}
