// The other half of the fix of ipfs-referee-size-limit.test.ts: one protocol-wide blob limit
// (MAX_COMMITTED_BLOB_BYTES, src/protocol/limits.ts) that a provider is held to when it accepts a
// job. The provider daemon's filter (worker/daemon.ts) skips a job for which committedBlobProblem
// (src/node/job-reader.ts) names a reason: a checkpoint, the trace manifest or the spec over the
// protocol's limit, or over what the provider's own shared store accepts. The sizes it bounds are
// those the trained job's blobs really have.
import { expect } from "chai";

import { encodeTraceManifest, traceRoot } from "../../../src/checkpoint/trace.ts";
import type { TrainingState } from "../../../src/engine/training-state.ts";
import {
  committedBlobProblem,
  committedBlobSizes,
  type FetchedSpec,
} from "../../../src/node/job-reader.ts";
import { specHash } from "../../../src/protocol/job-spec.ts";
import { MAX_COMMITTED_BLOB_BYTES } from "../../../src/protocol/limits.ts";
import { IPFS_MAX_BLOCK_BYTES } from "../../../src/store/ipfs-options.ts";
import { honestJob, type HonestJob } from "./helpers.ts";

describe("the protocol-wide blob limit a provider is held to when it accepts a job", function () {
  this.timeout(30_000);
  let job: HonestJob;
  let fetched: FetchedSpec;
  const jobId = 7n;

  before(async () => {
    job = await honestJob();
    fetched = { spec: job.small.spec, specCid: job.specCid, loaded: job.small };
  });

  it("is the largest block bitswap moves, so every committed blob can be served over IPFS", () => {
    expect(MAX_COMMITTED_BLOB_BYTES).to.equal(IPFS_MAX_BLOCK_BYTES);
  });

  it("bounds the sizes the trained job's blobs really have", () => {
    const sizes = committedBlobSizes(fetched, jobId);
    for (const record of job.records)
      expect(job.blobs.get(record.cid)?.byteLength, `checkpoint ${record.index}`).to.equal(
        sizes.checkpoint,
      );
    expect(sizes.spec).to.equal(job.specBytes.byteLength);
    const manifest = encodeTraceManifest({
      jobId,
      specHash: specHash(job.small.spec),
      checkpointInterval: job.k,
      records: job.records,
      root: traceRoot(jobId, job.records),
    });
    expect(sizes.manifest).to.be.at.least(manifest.byteLength);
    expect(committedBlobProblem(fetched, jobId), "the small job fits").to.equal(undefined);
  });

  it("refuses a job whose checkpoints would be larger than the protocol's limit", () => {
    const elements = Math.ceil(MAX_COMMITTED_BLOB_BYTES / 4);
    const big: TrainingState = {
      step: 0,
      specs: [{ name: "w", role: "param", dtype: "float32", fracBits: 0, shape: [elements] }],
      values: [new Float32Array(elements)],
    };
    const problem = committedBlobProblem(
      { ...fetched, loaded: { ...job.small, initialState: big } },
      jobId,
    );
    expect(problem).to.match(/its checkpoints would be \d+ bytes, over the protocol's limit/);
  });

  it("refuses a job whose trace manifest could be larger than the protocol's limit", () => {
    const spec = { ...job.small.spec, totalSteps: 40_000 * job.k };
    expect(committedBlobProblem({ ...fetched, spec }, jobId)).to.match(
      /its trace manifest could be \d+ bytes, over the protocol's limit/,
    );
  });

  it("refuses a job whose checkpoints its own shared store could not take", () => {
    const { checkpoint } = committedBlobSizes(fetched, jobId);
    expect(committedBlobProblem(fetched, jobId, checkpoint - 1)).to.match(
      /over this provider's shared store limit/,
    );
    expect(committedBlobProblem(fetched, jobId, checkpoint)).to.equal(undefined);
  });
});
