/**
 * Preloaded (`node --import`) into the CLI that bench/rotate-fleet runs, which otherwise runs
 * unchanged: at exit, writes the process's peak RSS (KiB) to the file named by BENCH_RSS_FILE.
 * With BENCH_MEMORY_SAMPLES=FILE, also appends one line of process.memoryUsage() (MiB) every
 * 500 ms to FILE, to see where the peak is (heap, external buffers, or neither).
 */
import { appendFileSync, writeFileSync } from 'node:fs';

const file = process.env.BENCH_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, JSON.stringify({ maxRSSKiB: process.resourceUsage().maxRSS })));

const samples = process.env.BENCH_MEMORY_SAMPLES;
if (samples) {
  const t0 = Date.now();
  const mib = (n: number) => (n / 1048576).toFixed(0);
  const sample = () => {
    const m = process.memoryUsage();
    appendFileSync(
      samples,
      `${((Date.now() - t0) / 1000).toFixed(1)}s rss ${mib(m.rss)} heapTotal ${mib(m.heapTotal)} heapUsed ${mib(m.heapUsed)} external ${mib(m.external)} arrayBuffers ${mib(m.arrayBuffers)}\n`,
    );
  };
  setInterval(sample, 500).unref();
  process.on('exit', sample);
}
