// The job specs the provider daemon has fetched from the shared store (once per job per process,
// checked against the chain by src/node/job-reader.ts), the plan the configured cheat makes of
// each (src/provider/cheats.ts; no cheat plans honest work), and the serving on of the inputs of a
// job it accepted.
import type { OnchainJob } from "../src/node/onchain-job.ts";
import { fetchJobSpec, jobInputCids, type FetchedSpec } from "../src/node/job-reader.ts";
import { planCheat, type Cheat, type CheatPlan } from "../src/provider/cheats.ts";
import type { BlobStore } from "../src/store/blob-store.ts";

/** An input the shared store could not serve on, and why. */
export interface UnservedInput {
  cid: string;
  error: unknown;
}

export class JobSpecs {
  private readonly shared: BlobStore;
  private readonly cheat: Cheat;
  private readonly fetched = new Map<bigint, FetchedSpec>();

  constructor(shared: BlobStore, cheat: Cheat) {
    this.shared = shared;
    this.cheat = cheat;
  }

  /** Job `jobId`'s spec, fetched and checked the first time it is asked for. */
  async get(jobId: bigint, onchain: OnchainJob): Promise<FetchedSpec> {
    let fetched = this.fetched.get(jobId);
    if (fetched === undefined) {
      fetched = await fetchJobSpec(this.shared, jobId, onchain);
      this.fetched.set(jobId, fetched);
    }
    return fetched;
  }

  /** How this provider serves the job: honestly, or as the configured cheat says. */
  plan(spec: FetchedSpec): CheatPlan {
    return planCheat(this.cheat, spec.loaded.job);
  }

  /**
   * Serves on, from the shared store, every input of a job this provider accepted (jobInputCids:
   * the spec, program, initial state and dataset shards), which `get` fetched and verified. On IPFS
   * a node serves peers only what it pinned, so without this a job's inputs are served by its
   * submitter's node alone, and once that node is gone a verifier holding no copy cannot read the
   * job, nor audit the provider's work (docs/store.md, "Serving"). A store that serves what it
   * holds does nothing (BlobStore.serveOn). An input the store no longer holds (a garbage
   * collection dropped the copy since `get`) or whose copy rotted is not served, and not fetched
   * again here: a fetch of a block the same peer already sent this node can wait out the whole
   * fetch timeout (Helia's bitswap ledger), one per input, and training must not wait on that.
   *
   * Only for a job this provider accepted (trainJob calls it), not one it merely read to decide,
   * and only its inputs: never a checkpoint or manifest fetched from someone else, which would
   * answer availability questions for a provider that withholds them.
   *
   * Goes through every input whatever fails; returns those it could not serve, with why.
   */
  async serveInputs(spec: FetchedSpec): Promise<UnservedInput[]> {
    const store = this.shared;
    if (store.serveOn === undefined) return [];
    const unserved: UnservedInput[] = [];
    for (const cid of jobInputCids(spec)) {
      try {
        await store.serveOn(cid);
      } catch (error) {
        unserved.push({ cid, error });
      }
    }
    return unserved;
  }
}
