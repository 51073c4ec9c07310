// A dApp's smallest use of @assay/sdk: post a training job from its spec and follow it on chain.
//
//   ASSAY_EXAMPLE_KEY=0x… node main.ts --rpc http://127.0.0.1:8545 --spec spec.json \
//     [--deployment deployments/localhost.json] [--amount 100] [--collateral 200] [--until Accepted]
//
// Without --deployment it uses the deployment built into the SDK for the RPC's chain. The key is
// read from the environment, never from the command line (where `ps` shows it). It prints one JSON
// line per event (the job created, then each status it reaches) and exits once the job reaches
// `--until` (default: settled for good). spec.json names blobs that exist nowhere: a real spec
// comes from `assay spec build --upload`, and no provider would train this one.
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";

import {
  JOB_STATUS,
  createJob,
  deploymentFor,
  isFinalJobStatus,
  parseDeployment,
  parseJobSpec,
  watchJob,
  type JobStatusName,
} from "@assay/sdk";
import { createWalletClient, http, isHex, parseUnits } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { getChainId } from "viem/actions";

const { values } = parseArgs({
  options: {
    rpc: { type: "string", default: "http://127.0.0.1:8545" },
    spec: { type: "string", default: "spec.json" },
    deployment: { type: "string" },
    amount: { type: "string", default: "100" },
    collateral: { type: "string", default: "200" },
    until: { type: "string" },
  },
});

const key = process.env.ASSAY_EXAMPLE_KEY;
if (key === undefined || !isHex(key) || key.length !== 66)
  throw new Error("set ASSAY_EXAMPLE_KEY to the submitter's private key (0x and 64 hex digits)");
const until = values.until as JobStatusName | undefined;
if (until !== undefined && !(JOB_STATUS as readonly string[]).includes(until))
  throw new Error(`--until ${until} is not a job status (one of ${JOB_STATUS.join(", ")})`);

const client = createWalletClient({
  account: privateKeyToAccount(key),
  transport: http(values.rpc),
});
const deployment =
  values.deployment === undefined
    ? deploymentFor(await getChainId(client))
    : parseDeployment(JSON.parse(await readFile(values.deployment, "utf8")), values.deployment);
const spec = parseJobSpec(JSON.parse(await readFile(values.spec, "utf8")));

// Every createJob argument but the terms comes from the spec (hash, initial state, shape, windows).
const created = await createJob(client, {
  deployment,
  spec,
  terms: {
    amount: parseUnits(values.amount, 18),
    collateral: parseUnits(values.collateral, 18),
    verificationBps: 1_000,
  },
});
const print = (line: Record<string, unknown>): void =>
  console.log(JSON.stringify(line, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
print({
  event: "created",
  jobId: created.jobId,
  hash: created.hash,
  specHash: created.params.specHash,
});

// Each status the job reaches, until `--until` (or a settled status: watchJob then stops itself).
await new Promise<void>((resolve, reject) => {
  const unwatch = watchJob(client, {
    deployment,
    jobId: created.jobId,
    pollingInterval: 200,
    onJob: (job) => {
      print({ event: "status", jobId: job.id, status: job.statusName, provider: job.provider });
      if (until === undefined ? isFinalJobStatus(job.status) : job.statusName === until) {
        unwatch();
        resolve();
      }
    },
    onError: (error) => {
      unwatch();
      reject(error);
    },
  });
});
