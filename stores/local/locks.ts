/**
 * Two small async locks. `Mutex` runs tasks one at a time in call order; `SharedLock` lets
 * many readers in at once and an exclusive holder alone, and stops admitting new readers while
 * an exclusive holder waits, so a steady stream of queries cannot starve compaction.
 */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

export class SharedLock {
  private readers = 0;
  private writer = false;
  private readonly waitingWriters: (() => void)[] = [];
  private readonly waitingReaders: (() => void)[] = [];

  async shared<T>(task: () => Promise<T>): Promise<T> {
    if (this.writer || this.waitingWriters.length > 0) {
      await new Promise<void>((resolve) => this.waitingReaders.push(resolve));
    } else {
      this.readers++;
    }
    try {
      return await task();
    } finally {
      this.readers--;
      if (this.readers === 0) this.wake(false);
    }
  }

  async exclusive<T>(task: () => Promise<T>): Promise<T> {
    if (this.writer || this.readers > 0) {
      await new Promise<void>((resolve) => this.waitingWriters.push(resolve));
    } else {
      this.writer = true;
    }
    try {
      return await task();
    } finally {
      this.writer = false;
      this.wake(true);
    }
  }

  /**
   * Hands the lock on once it is free. After an exclusive holder, readers that queued behind it
   * go first (so writers cannot starve them either); otherwise the next exclusive holder.
   */
  private wake(readersFirst: boolean): void {
    if (readersFirst && this.waitingReaders.length > 0) {
      while (this.waitingReaders.length > 0) {
        this.readers++;
        this.waitingReaders.shift()!();
      }
      return;
    }
    if (this.waitingWriters.length > 0) {
      this.writer = true;
      this.waitingWriters.shift()!();
      return;
    }
    while (this.waitingReaders.length > 0) {
      this.readers++;
      this.waitingReaders.shift()!();
    }
  }
}
