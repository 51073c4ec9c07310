// ATTACK: any connected IPFS peer defeats the fetches it sees, whoever else serves the blob.
//
// Helia's bitswap matches a received block to a want by the DIGEST BYTES alone
// (@helia/bitswap want-list.js: `uint8ArrayEquals(cid.multihash.digest, event.detail.cid.multihash.digest)`),
// and derives the block's CID from a prefix the SENDER chooses. A peer that answers a want for
// CIDv1(raw, sha2-256, D) with a block whose prefix says "identity hash, 32 bytes" and whose data
// is D itself produces CID(raw, identity(D)): its digest is D, so the want resolves with the forged
// 32 bytes. Helia re-hashes them with sha-256, which fails, and raceBlockRetrievers rejects AT ONCE
// (LoadBlockFailedError): the real block, from an honest peer a moment later, is never waited for.
// IpfsBlobStore.fetch turns that into a non-retryable StoreError, so:
//   - fetchJobSpec → JobSpecUnusableError: a provider drops the job for good ("filtered-out"); a
//     verifier marks it "unverifiable" and never challenges it (a cheating provider escapes audit);
//   - fetchCommitted → undefined ("not available intact"): an audit reports an availability fault,
//     and a REFEREE votes Challenger in an availability dispute against an honest provider.
// The attacker only needs a connection: as a configured peer (a provider's node is in every
// verifier's `peers`), or by dialing in to a listen address (inbound peers get the want list).
// The attacker answers each want at once, and also keeps sending forged blocks for the CIDs it
// knows will be asked (the spec's is the on-chain specHash, the checkpoints' the on-chain leaves),
// so a forged block is there the moment a want starts, before any honest answer can be. Each
// test makes several fetches (fresh nodes) and fails if any one of them is defeated.
// The consequence tests read through plainBytes() (a copy into a plain Uint8Array) so that the
// Buffer-view bug of ipfs-buffer-views.test.ts does not hide this one; their controls pass.
import { expect } from "chai";

import { isRetryable } from "../../../src/errors.ts";
import { fetchJobSpec } from "../../../src/node/job-reader.ts";
import type { IpfsNode } from "../../../src/store/ipfs-node.ts";
import type { IpfsOptionsInput } from "../../../src/store/ipfs-options.ts";
import { fetchCommitted } from "../../../src/training/reexecute.ts";
import { adjudicate, verifiableJob } from "../../../verifier/segment-check.ts";
import { question } from "../verifier/questions.ts";
import { blob, cidOf } from "../store/fixtures.ts";
import { ipfsBlobStoreOn } from "../../../src/store/ipfs-store.ts";
import {
  answerWantsWithIdentityBlocks,
  honestJob,
  sprayIdentityBlocks,
  Nodes,
  plainBytes,
  publishOn,
  type HonestJob,
} from "./helpers.ts";

const TRIES = 3;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function describeError(error: unknown): string {
  return `${(error as Error).name} (retryable: ${isRetryable(error)}): ${(error as Error).message}`;
}

// FIXED: the node's identity "hash" is replaced by one no want can match (IDENTITY_REFUSED in
// src/store/ipfs-node.ts), so a forged identity block is ignored and the honest block answers the
// want. All five tests failed before.
describe("attack review: a peer forging identity-hash blocks defeats IPFS fetches", function () {
  this.timeout(60_000);
  const nodes = new Nodes();
  let job: HonestJob;

  before(async () => {
    job = await honestJob();
  });
  const sprays: (() => void)[] = [];
  afterEach(async () => {
    for (const stop of sprays.splice(0)) stop();
    await nodes.stopAll();
  });

  /** The attacker's node: answers every want with a forged block, and sprays them for `cids`. */
  async function attacker(
    cids: readonly string[],
    options: IpfsOptionsInput = {},
  ): Promise<IpfsNode> {
    const node = await nodes.start(options);
    answerWantsWithIdentityBlocks(node);
    sprays.push(sprayIdentityBlocks(node, cids));
    return node;
  }

  /**
   * A fresh node that dials `peers` only (listens nowhere). Spaced out: libp2p refuses more than 5
   * inbound connections a second from one host (inboundConnectionThreshold), and all are 127.0.0.1.
   */
  async function victimOf(...peers: IpfsNode[]): Promise<IpfsNode> {
    await sleep(250);
    return nodes.start({
      listen: [],
      peers: peers.map((p) => p.multiaddrs()[0]!),
      fetchTimeoutMs: 5_000,
    });
  }

  it("get returns a blob an honest connected peer serves, whatever another configured peer sends", async () => {
    const honest = await nodes.start();
    const published: string[] = [];
    for (let i = 0; i < TRIES; i++)
      published.push(await ipfsBlobStoreOn(honest).put(blob(200_000, `checkpoint ${i}`)));
    const liar = await attacker(published);
    const outcomes: string[] = [];
    for (const cid of published) {
      const victim = await victimOf(honest, liar);
      try {
        outcomes.push(
          cidOf(await ipfsBlobStoreOn(victim).get(cid)) === cid ? "honest bytes" : "other bytes",
        );
      } catch (error) {
        outcomes.push(describeError(error));
      }
    }
    expect(outcomes, "each get, an honest peer holding the blob").to.deep.equal(
      Array(TRIES).fill("honest bytes"),
    );
  });

  it("a stranger that merely dials in to the listen address cannot defeat fetches either", async () => {
    const honest = await nodes.start();
    const outcomes: string[] = [];
    for (let i = 0; i < TRIES; i++) {
      const bytes = blob(200_000, `published by the honest provider ${i}`);
      const cid = await ipfsBlobStoreOn(honest).put(bytes);
      // The victim listens (default 127.0.0.1) and dials only the honest peer; the stranger is in
      // nobody's `peers`: it dials the victim itself.
      await sleep(250);
      const victim = await nodes.start({ peers: [honest.multiaddrs()[0]!], fetchTimeoutMs: 5_000 });
      await attacker([cid], { listen: [], peers: [victim.multiaddrs()[0]!] });
      for (let w = 0; w < 100 && victim.connectedPeers() < 2; w++) await sleep(20);
      expect(victim.connectedPeers(), "the honest peer and the stranger").to.equal(2);
      try {
        outcomes.push(
          cidOf(await ipfsBlobStoreOn(victim).get(cid)) === cid ? "honest bytes" : "other bytes",
        );
      } catch (error) {
        outcomes.push(describeError(error));
      }
    }
    expect(outcomes).to.deep.equal(Array(TRIES).fill("honest bytes"));
  });

  it("fetchJobSpec reads an honest job's spec although a connected peer forges answers (else the provider drops the job, the verifier never audits it)", async () => {
    const submitter = await nodes.start();
    await publishOn(submitter, job);
    const liar = await attacker([job.specCid]);
    const outcomes: string[] = [];
    for (let i = 0; i < TRIES; i++) {
      const reader = await victimOf(submitter, liar);
      try {
        const fetched = await fetchJobSpec(plainBytes(ipfsBlobStoreOn(reader)), 7n, job.onchain);
        outcomes.push(fetched.specCid === job.specCid ? "the honest spec" : "another spec");
      } catch (error) {
        outcomes.push(`${(error as Error).name}: ${(error as Error).message}`);
      }
    }
    expect(outcomes).to.deep.equal(Array(TRIES).fill("the honest spec"));
  });

  it("an honest provider's checkpoints are not 'not available intact' to an auditor because a connected peer forged answers", async () => {
    const provider = await nodes.start();
    await publishOn(provider, job);
    const liar = await attacker(job.records.map((r) => r.cid));
    const outcomes: string[] = [];
    for (let i = 0; i < TRIES; i++) {
      const auditor = await victimOf(provider, liar);
      const record = job.records[1 + (i % 4)]!;
      const state = await fetchCommitted(
        plainBytes(ipfsBlobStoreOn(auditor)),
        record,
        job.small.job.program.info,
      );
      outcomes.push(state === undefined ? `checkpoint ${record.index}: unavailable` : "fetched");
    }
    expect(outcomes).to.deep.equal(Array(TRIES).fill("fetched"));
  });

  it("referees vote Provider in an availability dispute against an honest provider that serves every blob (else the provider is slashed)", async () => {
    const provider = await nodes.start();
    await publishOn(provider, job);
    const v = verifiableJob(job.small, job.records);
    const q = question("Availability", job.records, 3, job.k);
    // Control: referees reached by nobody else vote Provider.
    for (let i = 0; i < 2; i++) {
      const fair = await victimOf(provider);
      expect((await adjudicate(v, plainBytes(ipfsBlobStoreOn(fair)), q)).vote, "control").to.equal(
        "Provider",
      );
    }
    // The dishonest challenger's node, connected to each referee.
    const challenger = await attacker(job.records.map((r) => r.cid));
    const votes: string[] = [];
    for (let i = 0; i < TRIES; i++) {
      const referee = await victimOf(provider, challenger);
      votes.push((await adjudicate(v, plainBytes(ipfsBlobStoreOn(referee)), q)).vote);
    }
    expect(votes, "the committee's votes").to.deep.equal(Array(TRIES).fill("Provider"));
  });
});
