import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: media and model tests each start ffmpeg and WASM workers; more parallel files only thrash.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
