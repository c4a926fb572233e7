/** How long each stage of the container test took, reported at the end of the run. */
import fs from "node:fs";
import path from "node:path";

export class Timings {
  private readonly stages: { stage: string; seconds: number }[] = [];

  /** Runs `work` and records its duration under `stage`, whether it succeeds or not. */
  async measure<T>(stage: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.stages.push({ stage, seconds: (performance.now() - started) / 1000 });
    }
  }

  /** One line per stage and a total, aligned for a terminal. */
  format(): string {
    const width = Math.max(...this.stages.map(({ stage }) => stage.length), "total".length);
    const line = (stage: string, seconds: number) =>
      `${stage.padEnd(width)}  ${seconds.toFixed(1).padStart(7)} s`;
    const total = this.stages.reduce((sum, { seconds }) => sum + seconds, 0);
    return [...this.stages.map(({ stage, seconds }) => line(stage, seconds)), line("total", total)]
      .join("\n");
  }

  /** Writes the stages as JSON, for comparing a cold run with a warm one. */
  save(file: string): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(this.stages, null, 2)}\n`);
  }
}
