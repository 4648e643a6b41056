import { defineConfig } from 'vitest/config';
import SlowFirstSequencer from './test/sequencer.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds the bundled CLI (dist/cli/wsman.cjs) the process-level tests start.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Most tests wait on processes (pwsh, the CLI, listeners) more than they compute, so one worker
    // per core is not the limit here: Vitest's default on 2 cores is a single worker.
    maxWorkers: 3,
    // Slow files start first (test/slow-files.txt), so the run does not end on one long file.
    sequence: { sequencer: SlowFirstSequencer },
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results.json' },
  },
});
