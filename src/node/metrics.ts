// Prometheus metrics of a daemon (prom-client): jobs, training/re-execution speed, segments
// verified, disputes, gas, transactions and queue tasks, plus the process defaults, served at
// GET /metrics on 127.0.0.1 only.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";

export interface NodeMetrics {
  registry: Registry;
  jobs: Counter<"role" | "state">;
  stepsPerSecond: Gauge<"role">;
  steps: Counter<"role">;
  segmentsVerified: Counter<"result">;
  disputes: Counter<"role" | "outcome">;
  receipts: Counter<"outcome">;
  gasSpent: Counter<"action">;
  transactions: Counter<"action" | "status">;
  tasks: Counter<"queue" | "status">;
}

export function createMetrics(role: "worker" | "verifier" | "cli"): NodeMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ daemon: role });
  collectDefaultMetrics({ register: registry, prefix: "assay_process_" });
  const registers = [registry];
  return {
    registry,
    jobs: new Counter({
      name: "assay_jobs_total",
      help: "Jobs that reached a state, by the daemon's role in them",
      labelNames: ["role", "state"],
      registers,
    }),
    stepsPerSecond: new Gauge({
      name: "assay_steps_per_second",
      help: "Training or re-execution speed of the latest run",
      labelNames: ["role"],
      registers,
    }),
    steps: new Counter({
      name: "assay_steps_total",
      help: "Train steps computed (training, re-execution, adjudication)",
      labelNames: ["role"],
      registers,
    }),
    segmentsVerified: new Counter({
      name: "assay_segments_verified_total",
      help: "Segments re-executed, by result (ok, mismatch, error)",
      labelNames: ["result"],
      registers,
    }),
    disputes: new Counter({
      name: "assay_disputes_total",
      help: "Disputes taken part in, by role and outcome",
      labelNames: ["role", "outcome"],
      registers,
    }),
    receipts: new Counter({
      name: "assay_receipts_total",
      help: "Verification receipts revealed as matching, and paid",
      labelNames: ["outcome"],
      registers,
    }),
    gasSpent: new Counter({
      name: "assay_gas_spent_total",
      help: "Gas used by this daemon's transactions, by action",
      labelNames: ["action"],
      registers,
    }),
    transactions: new Counter({
      name: "assay_transactions_total",
      help: "Transactions sent, by action and status (success, reverted, rejected)",
      labelNames: ["action", "status"],
      registers,
    }),
    tasks: new Counter({
      name: "assay_queue_tasks_total",
      help: "Queue tasks by queue and final status (completed, failed, retried)",
      labelNames: ["queue", "status"],
      registers,
    }),
  };
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/** Serves `registry` at http://127.0.0.1:<port>/metrics (port 0: any free port). */
export async function startMetricsServer(registry: Registry, port: number): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    if (req.method === "GET" && (req.url === "/metrics" || req.url?.startsWith("/metrics?"))) {
      registry
        .metrics()
        .then((body) => {
          res.writeHead(200, { "content-type": registry.contentType });
          res.end(body);
        })
        .catch((error: unknown) => {
          res.writeHead(500, { "content-type": "text/plain" });
          res.end(String(error));
        });
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found: try /metrics\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const { port: actual } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${actual}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
