// The example dApp (examples/submit-job) against the packed SDK, as a dApp would get it: build the
// package, `npm pack` it, unpack the tarball into the example's node_modules (the peer
// dependencies linked from the repository's node_modules: no registry), typecheck the example
// against the tarball's declarations, then run it as its own process against a Hardhat chain served
// on a loopback port with Assay deployed, and check on chain what it did.
import { execFile, spawn } from "node:child_process";
import {
  copyFile,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  rm,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import { expect } from "chai";
import { network } from "hardhat";
import type { JsonRpcServer, NetworkConnection } from "hardhat/types/network";
import { getAddress } from "viem";
import { privateKeyToAccount } from "viem/accounts";

import { DEVNET_PARAMS, deployAssay, type AssayDeployment } from "../../../deploy/deploy-assay.ts";
import { deploymentFileOf } from "../../../deploy/deployment-file.ts";
import { writeDeploymentFile } from "../../../src/node/deployment.ts";
import { parseJobSpec, specHash } from "../../../src/protocol/job-spec.ts";
import { STAKE_ROLE } from "../../../src/protocol/onchain-enums.ts";

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, "../../..");
const EXAMPLE = path.join(ROOT, "examples/submit-job");
const UNIT = 10n ** 18n;
// Hardhat's default mnemonic, account 1: the example's submitter (account 2 is the provider).
const SUBMITTER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
// What the packed SDK needs beside itself, as a dApp's install would put it there.
const LINKED = ["viem", "zod", "multiformats", "ethers", "@types/node"];

describe("example dApp on the packed @assay/sdk", function () {
  this.timeout(300_000);
  let dir: string;
  let app: string;
  let tarball: string;

  before(async function () {
    dir = await mkdtemp(path.join(tmpdir(), "assay-sdk-example-"));
    await run(process.execPath, [path.join(ROOT, "packages/sdk/scripts/build.ts")], { cwd: ROOT });
    const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", dir], {
      cwd: path.join(ROOT, "packages/sdk"),
      env: { ...process.env, npm_config_offline: "true", npm_config_ignore_scripts: "true" },
    });
    const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    tarball = path.join(dir, packed!.filename);
    app = path.join(dir, "app");
    const sdk = path.join(app, "node_modules/@assay/sdk");
    await mkdir(sdk, { recursive: true });
    await run("tar", ["-xzf", tarball, "-C", sdk, "--strip-components=1"]);
    for (const name of LINKED) {
      await mkdir(path.dirname(path.join(app, "node_modules", name)), { recursive: true });
      await symlink(path.join(ROOT, "node_modules", name), path.join(app, "node_modules", name));
    }
    for (const f of await readdir(EXAMPLE))
      await copyFile(path.join(EXAMPLE, f), path.join(app, f));
  });

  after(async function () {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("the tarball holds the compiled package, its declarations and the ABI files, and no sources", async function () {
    const { stdout } = await run("tar", ["-tzf", tarball]);
    const files = stdout.split("\n").filter((f) => f !== "");
    for (const f of [
      "package/package.json",
      "package/README.md",
      "package/dist/packages/sdk/src/index.js",
      "package/dist/packages/sdk/src/index.d.ts",
      "package/dist/packages/sdk/src/ethers.js",
      "package/dist/packages/sdk/generated/abis.d.ts",
      "package/dist/packages/sdk/generated/ethers/factories/JobMarket__factory.js",
      "package/dist/src/protocol/create-job.js",
      "package/dist/src/protocol/onchain-enums.js",
      "package/generated/abis/JobMarket.json",
      "package/generated/abis/IERC20.json",
    ])
      expect(files, f).to.include(f);
    expect(files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).to.deep.equal([]);
  });

  it("the example typechecks against the tarball's types, and a wrong argument type is caught", async function () {
    // bigint amounts are part of the typed API: a number must not pass.
    await writeFile(
      path.join(app, "wrong.ts"),
      `import { stake } from "@assay/sdk";\nimport { createPublicClient, http } from "viem";\n` +
        `const client = createPublicClient({ transport: http() });\n` +
        `declare const deployment: Parameters<typeof stake>[1]["deployment"];\n` +
        `await stake(client, { deployment, role: "provider", amount: 5 });\n`,
    );
    const config = JSON.parse(await readFile(path.join(app, "tsconfig.json"), "utf8")) as {
      files: string[];
    };
    await writeFile(
      path.join(app, "tsconfig.check.json"),
      JSON.stringify({ extends: "./tsconfig.json", files: [...config.files, "wrong.ts"] }),
    );
    const tsc = path.join(ROOT, "node_modules/typescript/bin/tsc");
    const result = await run(process.execPath, [tsc, "-p", "tsconfig.check.json"], {
      cwd: app,
    }).then(
      () => ({ code: 0, out: "" }),
      (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
    );
    const errors = result.out.split("\n").filter((l) => /error TS\d+/.test(l));
    expect(errors, result.out).to.have.length(1);
    expect(errors[0]).to.match(/^wrong\.ts\(5,/);
    expect(errors[0]).to.contain("'number' is not assignable to type 'bigint'");
  });

  it("posts a job from its spec and follows it until a provider accepts it", async function () {
    const server: JsonRpcServer = await network.createServer("default", "127.0.0.1", 0);
    const { port } = await server.listen();
    const rpcUrl = `http://127.0.0.1:${port}`;
    let connection: NetworkConnection | undefined;
    try {
      connection = await network.create({ network: "localhost", override: { url: rpcUrl } });
      const { viem } = connection;
      const publicClient = await viem.getPublicClient();
      const firstBlock = (await publicClient.getBlockNumber()) + 1n;
      const d: AssayDeployment = await deployAssay(viem, DEVNET_PARAMS);
      await writeDeploymentFile(
        path.join(app, "deployment.json"),
        deploymentFileOf(d, await publicClient.getChainId(), firstBlock),
      );
      const [, submitter, provider] = await viem.getWalletClients();
      expect(getAddress(submitter!.account.address)).to.equal(
        privateKeyToAccount(SUBMITTER_KEY).address,
      );
      await d.testToken!.write.mint([submitter!.account.address, 1_000n * UNIT]);
      await d.testToken!.write.mint([provider!.account.address, 2_000n * UNIT]);
      await d.testToken!.write.approve([d.registry.address, 2_000n * UNIT], {
        account: provider!.account,
      });
      await d.registry.write.stake([STAKE_ROLE.Provider, 1_500n * UNIT], {
        account: provider!.account,
      });

      const child = spawn(
        process.execPath,
        [
          "main.ts",
          "--rpc",
          rpcUrl,
          "--deployment",
          "deployment.json",
          "--spec",
          "spec.json",
        ].concat(["--amount", "100", "--collateral", "200", "--until", "Accepted"]),
        { cwd: app, env: { ...process.env, ASSAY_EXAMPLE_KEY: SUBMITTER_KEY }, stdio: "pipe" },
      );
      const lines: Record<string, string>[] = [];
      let stderr = "";
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      let buffered = "";
      let accepting: Promise<unknown> | undefined;
      child.stdout.on("data", (c: Buffer) => {
        buffered += c.toString();
        const parts = buffered.split("\n");
        buffered = parts.pop()!;
        for (const part of parts) {
          const line = JSON.parse(part) as Record<string, string>;
          lines.push(line);
          // The provider's move, once the example has seen the job open (so it sees both statuses).
          if (line.event === "status" && line.status === "Open")
            accepting = d.market.write.accept([BigInt(line.jobId!)], {
              account: provider!.account,
            });
        }
      });
      const code = await new Promise<number | null>((resolve) => {
        const guard = setTimeout(() => child.kill("SIGKILL"), 120_000);
        child.on("close", (c) => {
          clearTimeout(guard);
          resolve(c);
        });
      });
      await accepting;
      expect(code, stderr).to.equal(0);
      expect(lines.map((l) => [l.event, l.status])).to.deep.equal([
        ["created", undefined],
        ["status", "Open"],
        ["status", "Accepted"],
      ]);

      const spec = parseJobSpec(
        JSON.parse(await readFile(path.join(EXAMPLE, "spec.json"), "utf8")),
      );
      const jobId = BigInt(lines[0]!.jobId!);
      expect(lines[0]!.specHash).to.equal(specHash(spec));
      const job = await d.market.read.getJob([jobId]);
      expect(job.status).to.equal(2); // Accepted
      expect(job.submitter).to.equal(getAddress(submitter!.account.address));
      expect(job.provider).to.equal(getAddress(provider!.account.address));
      expect(job.specHash).to.equal(specHash(spec));
      expect(job.amount).to.equal(100n * UNIT);
      expect(job.collateral).to.equal(200n * UNIT);
      expect(await d.testToken!.read.balanceOf([d.market.address])).to.equal(100n * UNIT);

      // The tarball's ethers bindings read the same job (ethers resolved like the dApp's own), and
      // its JSON ABIs import by their documented path.
      const { stdout } = await run(
        process.execPath,
        [
          "--input-type=module",
          "-e",
          `import { JobMarket__factory } from "@assay/sdk/ethers";
           import { JsonRpcProvider } from "ethers";
           const market = JobMarket__factory.connect(${JSON.stringify(d.market.address)}, new JsonRpcProvider(${JSON.stringify(rpcUrl)}));
           const job = await market.getJob(${jobId}n);
           const { default: abi } = await import("@assay/sdk/abis/JobMarket.json", { with: { type: "json" } });
           console.log(JSON.stringify({ count: String(await market.jobCount()), specHash: job.specHash, status: String(job.status), jsonAbiHasCreateJob: abi.some((i) => i.name === "createJob") }));`,
        ],
        { cwd: app },
      );
      expect(JSON.parse(stdout)).to.deep.equal({
        count: "1",
        specHash: specHash(spec),
        status: "2",
        jsonAbiHasCreateJob: true,
      });
    } finally {
      await connection?.close();
      await server.close();
    }
  });
});
