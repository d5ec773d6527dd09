/**
 * The model threads' waiting line, fair across clients (start-time fair queuing, weighted by cost):
 * each client's tasks wait in their own FIFO, and the next task to run is the head whose client has
 * used the least of the threads so far, in cost units (forecast points). A client flooding the pool
 * with large tasks is charged for each, so another client's small task goes next, not after the
 * flood. Tags are given when a task leaves the queue, so a task removed while waiting (its client
 * gone) costs nothing. Pure: no I/O, no timers.
 */

interface Entry<T> {
  value: T;
  cost: number;
  client: string;
  queued: boolean;
}

interface ClientLine<T> {
  entries: Entry<T>[];
  /** Virtual time at which this client's last started task finishes (its start + cost). */
  finish: number;
}

/** A queued task, to remove it (`remove`) while it still waits. */
export type QueueTicket = object;

export class FairQueue<T> {
  private readonly clients = new Map<string, ClientLine<T>>();
  /** The start tag of the task that left last: a client that was idle starts here, with no credit. */
  private virtualTime = 0;
  private count = 0;

  /** Tasks waiting. */
  get size(): number {
    return this.count;
  }

  /** Tasks of `client` waiting. */
  sizeOf(client: string): number {
    return this.clients.get(client)?.entries.length ?? 0;
  }

  /** Queues `value` for `client`; `cost` (> 0) is its work in any unit shared by every caller. */
  push(client: string, cost: number, value: T): QueueTicket {
    let line = this.clients.get(client);
    if (!line) {
      line = { entries: [], finish: this.virtualTime };
      this.clients.set(client, line);
    }
    const entry: Entry<T> = { value, cost: Number.isFinite(cost) && cost > 0 ? cost : 1, client, queued: true };
    line.entries.push(entry);
    this.count++;
    return entry;
  }

  /** Removes a waiting task; false when it already left (or was removed). */
  remove(ticket: QueueTicket): boolean {
    const entry = ticket as Entry<T>;
    if (!entry.queued) return false;
    const line = this.clients.get(entry.client);
    const at = line ? line.entries.indexOf(entry) : -1;
    if (!line || at < 0) return false;
    line.entries.splice(at, 1);
    entry.queued = false;
    this.count--;
    return true;
  }

  /** The next task to run, or undefined when none waits. */
  shift(): T | undefined {
    let best: { client: string; line: ClientLine<T>; start: number } | undefined;
    for (const [client, line] of this.clients) {
      if (line.entries.length === 0) {
        // Forget a client once it owes nothing: its next task starts at the virtual time anyway.
        if (line.finish <= this.virtualTime) this.clients.delete(client);
        continue;
      }
      const start = Math.max(this.virtualTime, line.finish);
      // Strictly less: among equals, the client first in the map (the one served longest ago) wins.
      if (!best || start < best.start) best = { client, line, start };
    }
    if (!best) return undefined;
    const entry = best.line.entries.shift()!;
    entry.queued = false;
    this.count--;
    this.virtualTime = best.start;
    best.line.finish = best.start + entry.cost;
    // To the end of the map: ties go round-robin.
    this.clients.delete(best.client);
    this.clients.set(best.client, best.line);
    return entry.value;
  }
}
