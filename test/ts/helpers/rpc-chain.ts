// An in-process Hardhat chain behind a JSON-RPC server on 127.0.0.1, with Assay deployed and a
// daemon's ChainContext connected to it, for tests of what daemons send; and a way to stage a
// race: a daemon's transaction mined only after another that was sent later.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { network } from "hardhat";
import type { Address, Hex } from "viem";

import { deploymentFileOf } from "../../../deploy/deployment-file.ts";
import { deployAssay } from "../../../deploy/deploy-assay.ts";
import { connectChain, type ChainContext } from "../../../src/node/chain.ts";
import { NodeConfigSchema, loadConfig } from "../../../src/node/config.ts";
import { writeDeploymentFile } from "../../../src/node/deployment.ts";

export interface RpcChain {
  connection: Awaited<ReturnType<typeof network.connect>>;
  /** Connected as devnet account `account` (the daemon under test). */
  chain: ChainContext;
  /** A temporary directory for journals, removed by close. */
  dir: string;
  rpc(method: string, params?: unknown[]): Promise<unknown>;
  close(): Promise<void>;
}

export async function startRpcChain(account = 1): Promise<RpcChain> {
  const server = await network.createServer("default", "127.0.0.1", 0);
  const { port } = await server.listen();
  const url = `http://127.0.0.1:${port}`;
  const connection = await network.connect({ network: "localhost", override: { url } });
  const d = await deployAssay(connection.viem);
  const publicClient = await connection.viem.getPublicClient();
  const dir = await mkdtemp(path.join(tmpdir(), "assay-rpc-chain-"));
  const deploymentFile = path.join(dir, "deployment.json");
  await writeDeploymentFile(
    deploymentFile,
    deploymentFileOf(d, await publicClient.getChainId(), 1n),
  );
  const chain = await connectChain(
    loadConfig(NodeConfigSchema, {
      flags: {
        rpcUrl: url,
        deployment: deploymentFile,
        account: { devnet: account },
        pollIntervalMs: 50,
      },
    }),
  );
  return {
    connection,
    chain,
    dir,
    rpc: (method, params = []) => connection.provider.request({ method, params }),
    async close() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts `send` (a TxSender send from the chain's account, with a short receiptTimeoutMs) and has
 * its transaction mined only after `first` ran: with automine off the node takes it into its pool,
 * drops it, mines `first`'s transactions, and TxSender, finding it lost, broadcasts the same bytes
 * again. Resolves with the hash of that first transaction and what `send` gave (or threw).
 */
export async function minedAfter<T>(
  c: RpcChain,
  send: () => Promise<T>,
  first: () => Promise<void>,
): Promise<{ firstHash: Hex; result?: T; error?: unknown }> {
  await c.rpc("evm_setAutomine", [false]);
  try {
    const sending = send().then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    );
    const pendingFromChain = async () =>
      (
        (await c.rpc("eth_getBlockByNumber", ["pending", true])) as {
          transactions: { hash: Hex; from: Address }[];
        }
      ).transactions.find((t) => t.from.toLowerCase() === c.chain.address.toLowerCase());
    let pending = await pendingFromChain();
    while (pending === undefined) {
      await new Promise((r) => setTimeout(r, 20));
      pending = await pendingFromChain();
    }
    expect(await c.rpc("hardhat_dropTransaction", [pending.hash])).to.equal(true);
    await c.rpc("evm_setAutomine", [true]);
    await first();
    return { firstHash: pending.hash, ...(await sending) };
  } finally {
    await c.rpc("evm_setAutomine", [true]);
  }
}
