/** What every `bench/*.bench.ts` returns from `run()`; `bench/run.ts` prints and saves them. */
export interface BenchResult {
  name: string;
  unit: string;
  value: number;
  /** The reference measured in the same run (e.g. the raw parser), when there is one. */
  baseline?: number;
  /** value / baseline. */
  ratio?: number;
}
