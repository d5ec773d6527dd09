import type { Logger } from "pino";
import type { Config } from "../app/platform/config.server.js";
import type { Database } from "../app/platform/db.server.js";

/** Something that runs in the background of the process and must stop cleanly. */
export interface BackgroundService {
  name: string;
  start(): Promise<void>;
  /** Stops taking new work and finishes or hands back what is in flight. */
  stop(): Promise<void>;
}

export interface WorkerContext {
  config: Config;
  db: Database;
  log: Logger;
}

export interface WorkerPool {
  services: readonly string[];
  stop(): Promise<void>;
}

/**
 * The in-process worker pool. Services (stream consumer, job workers, schedules) register
 * here; each is started in order and stopped in reverse, so a consumer stops before the
 * database it writes to is closed.
 */
export async function startWorkers(ctx: WorkerContext, services: BackgroundService[] = []): Promise<WorkerPool> {
  const started: BackgroundService[] = [];
  try {
    for (const service of services) {
      await service.start();
      started.push(service);
      ctx.log.info({ service: service.name }, "worker started");
    }
  } catch (err) {
    await stopAll(started, ctx.log);
    throw err;
  }
  return {
    services: started.map((s) => s.name),
    stop: () => stopAll(started, ctx.log),
  };
}

async function stopAll(services: BackgroundService[], log: Logger): Promise<void> {
  for (const service of [...services].reverse()) {
    try {
      await service.stop();
      log.info({ service: service.name }, "worker stopped");
    } catch (err) {
      log.error({ service: service.name, err }, "worker failed to stop cleanly");
    }
  }
}
