// A loopback port for a server a test starts in another process.
import { createServer } from "node:net";

/** A loopback port nothing listens on (taken from the OS, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A loopback port below Linux's default ephemeral range (32768–60999), free when picked: for a
 * listener whose port others must be told before it starts. A port from freePort comes from the
 * ephemeral range, where the OS also picks the local port of every outgoing connection and of every
 * port-0 listener, so under load another socket can take it before the listener binds.
 */
export async function freeFixedPort(): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const server = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => resolve(true));
    });
    if (bound) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      return port;
    }
    if (attempt >= 50) throw new Error("no free loopback port found in 20000–31999");
  }
}
