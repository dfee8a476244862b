// duckdb_profile.mjs - the DuckDB peer of `bulwark profile` (bench/data.sh, issue 6).
// usage: node duckdb_profile.mjs [--threads N] [--exact] FILE.csv|FILE.parquet
// One aggregate query over every column: count, nulls, min, max, mean (numbers and
// booleans), approx_count_distinct (DuckDB's HyperLogLog); with --exact also
// count(DISTINCT), once, to check the generator's exact counts. Prints JSON with timings.
import { about, open, profile } from './duckdb_common.mjs';

const args = process.argv.slice(2);
let threads = Number(process.env.DUCKDB_THREADS || 2), exact = false, file = null;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--threads') threads = Number(args[++i]);
  else if (args[i] === '--exact') exact = true;
  else if (!file) file = args[i];
  else { console.error('usage: node duckdb_profile.mjs [--threads N] [--exact] FILE'); process.exit(2); }
}
if (!file || !(threads > 0)) { console.error('usage: node duckdb_profile.mjs [--threads N] [--exact] FILE'); process.exit(2); }
const { conn } = await open(threads);
const p = await profile(conn, file, { exact });
console.log(JSON.stringify({ tool: 'duckdb', file, ...(await about(conn)), node: process.version, ...p }, null, 1));
