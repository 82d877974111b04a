/**
 * Preloaded (`node --import`) into the CLI that bench/rotate-fleet runs, which otherwise runs
 * unchanged: at exit, writes the process's peak RSS (KiB) to the file named by BENCH_RSS_FILE.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, JSON.stringify({ maxRSSKiB: process.resourceUsage().maxRSS })));
