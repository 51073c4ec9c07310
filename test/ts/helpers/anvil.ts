// Foundry's anvil (the @foundry-rs/anvil package's binary), a second EVM client the devnet, the
// demo and the daemons run against: started on a free loopback port, stopped after the tests.
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";

export interface Anvil {
  url: string;
  stop(): Promise<void>;
}

export interface AnvilOptions {
  /** Funded accounts of the test mnemonic (anvil's default is 10). */
  accounts?: number;
  chainId?: number;
}

/** The platform package's binary, without the npm wrapper's extra Node process. */
function anvilBinary(): string {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve("@foundry-rs/anvil-linux-amd64/package.json");
  return path.join(path.dirname(manifest), "bin", "anvil");
}

export async function startAnvil(options: AnvilOptions = {}): Promise<Anvil> {
  const child: ChildProcess = spawn(
    anvilBinary(),
    [
      ["--host", "127.0.0.1"],
      ["--port", "0"],
      ["--accounts", String(options.accounts ?? 10)],
      ["--chain-id", String(options.chainId ?? 31337)],
    ].flat(),
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString("utf8");
      const match = /Listening on (127\.0\.0\.1:\d+)/.exec(output);
      if (match !== null) {
        child.stdout!.off("data", onData);
        child.stdout!.resume(); // keep draining, or anvil blocks on a full pipe
        resolve(`http://${match[1]}`);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`anvil exited with ${code}: ${output}`)));
  });
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
