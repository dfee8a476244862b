// duckdb_parquet.mjs - the Parquet (zstd) copy of the benchmark CSV, written once by
// DuckDB, and DuckDB's profile of it (bench/data.sh, issue 6).
// usage: node duckdb_parquet.mjs [--threads N] [--force] [--write-only] CSV PARQUET
// Writes PARQUET with COPY ... (FORMAT parquet, COMPRESSION zstd) unless it exists
// (--force rewrites it), then profiles it like duckdb_profile.mjs (not with --write-only).
// Prints JSON: the write's seconds (null when the file was kept) and the profile.
import { existsSync, renameSync, statSync } from 'node:fs';
import { about, open, profile, source, sqlString } from './duckdb_common.mjs';

const args = process.argv.slice(2);
let threads = Number(process.env.DUCKDB_THREADS || 2), force = false, writeOnly = false;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--threads') threads = Number(args[++i]);
  else if (args[i] === '--force') force = true;
  else if (args[i] === '--write-only') writeOnly = true;
  else files.push(args[i]);
}
if (files.length !== 2 || !(threads > 0)) {
  console.error('usage: node duckdb_parquet.mjs [--threads N] [--force] [--write-only] CSV PARQUET');
  process.exit(2);
}
const [csv, pq] = files;
const { conn } = await open(threads);
const out = { tool: 'duckdb', csv, parquet: pq, ...(await about(conn)), node: process.version, write_seconds: null };
if (force || !existsSync(pq)) {
  const tmp = pq + '.tmp';
  const t0 = performance.now();
  await conn.run(`COPY (SELECT * FROM ${source(csv)}) TO ${sqlString(tmp)} (FORMAT parquet, COMPRESSION zstd)`);
  out.write_seconds = (performance.now() - t0) / 1000;
  renameSync(tmp, pq);
}
out.parquet_bytes = statSync(pq).size;
if (!writeOnly) Object.assign(out, await profile(conn, pq));
console.log(JSON.stringify(out, null, 1));
