// A container healthcheck (compose.yaml): exits 0 when `url` answers a GET with a 2xx status within
// 5 s, else prints why and exits 1. Used for the store server (/health) and the daemons' metrics
// endpoint, which each daemon serves once it has connected, staked and opened its store.
//   node scripts/healthcheck.ts http://127.0.0.1:8700/health
const url = process.argv[2];
if (url === undefined || !/^https?:\/\//.test(url)) {
  console.error("usage: node scripts/healthcheck.ts http://host:port/path");
  process.exit(2);
}
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  await response.body?.cancel();
  if (!response.ok) {
    console.error(`${url} answered ${response.status}`);
    process.exit(1);
  }
} catch (error) {
  console.error(`${url}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
