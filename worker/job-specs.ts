// The job specs the provider daemon has fetched from the shared store (once per job per process,
// checked against the chain by src/node/job-reader.ts), and the plan the configured cheat makes of
// each (src/provider/cheats.ts; no cheat plans honest work).
import type { OnchainJob } from "../src/node/onchain-job.ts";
import { fetchJobSpec, type FetchedSpec } from "../src/node/job-reader.ts";
import { planCheat, type Cheat, type CheatPlan } from "../src/provider/cheats.ts";
import type { BlobStore } from "../src/store/blob-store.ts";

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
}
