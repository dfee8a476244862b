// duckdb_common.mjs - what bench/peers/duckdb_profile.mjs and duckdb_parquet.mjs share:
// opening DuckDB with a fixed thread count and profiling every column of a CSV or Parquet
// file in one aggregate query (count, nulls, min, max, mean, approx_count_distinct).
import { DuckDBInstance } from '@duckdb/node-api';

export async function open(threads) {
  const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
  const conn = await instance.connect();
  return { instance, conn };
}

export function sqlString(s) {
  return "'" + String(s).replaceAll("'", "''") + "'";
}

function ident(s) {
  return '"' + String(s).replaceAll('"', '""') + '"';
}

// The table function that reads `path`: by extension, DuckDB's defaults otherwise
// (CSV: the sniffer picks delimiter, quoting, header and types, as a user would get).
export function source(path) {
  return /\.parquet$/i.test(path) ? `read_parquet(${sqlString(path)})` : `read_csv(${sqlString(path)})`;
}

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL.*)$/;

function num(v) {
  if (v === null || v === undefined) return null;
  const n = Number(v);
  return Number.isFinite(n) && typeof v !== 'boolean' ? n : v;
}

// Profile every column of `path` in one pass. exact: also count(DISTINCT) (slow; for
// checking the generator's exact counts). Returns a JSON-ready object with timings.
export async function profile(conn, path, { exact = false } = {}) {
  const t0 = performance.now();
  const desc = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${source(path)}`)).getRowObjectsJson();
  const t1 = performance.now();
  const cols = desc.map((r) => ({ name: r.column_name, type: r.column_type }));
  const sel = ['count(*) AS "rows"'];
  cols.forEach((c, i) => {
    const q = ident(c.name);
    sel.push(`count(${q}) AS c${i}_count`, `min(${q}) AS c${i}_min`, `max(${q}) AS c${i}_max`,
      `approx_count_distinct(${q}) AS c${i}_approx`);
    if (NUMERIC.test(c.type)) sel.push(`avg(${q}) AS c${i}_mean`);
    else if (c.type === 'BOOLEAN') sel.push(`avg(${q}::INTEGER) AS c${i}_mean`);
    if (exact) sel.push(`count(DISTINCT ${q}) AS c${i}_exact`);
  });
  const row = (await conn.runAndReadAll(`SELECT ${sel.join(', ')} FROM ${source(path)}`)).getRowObjectsJson()[0];
  const t2 = performance.now();
  const rows = Number(row.rows);
  return {
    rows,
    seconds: { describe: (t1 - t0) / 1000, profile: (t2 - t1) / 1000, total: (t2 - t0) / 1000 },
    columns: cols.map((c, i) => {
      const count = Number(row[`c${i}_count`]);
      const o = { name: c.name, type: c.type, count, nulls: rows - count, min: num(row[`c${i}_min`]),
        max: num(row[`c${i}_max`]), mean: num(row[`c${i}_mean`] ?? null), approx_distinct: Number(row[`c${i}_approx`]) };
      if (exact) o.exact_distinct = Number(row[`c${i}_exact`]);
      return o;
    }),
  };
}

export async function about(conn) {
  const r = (await conn.runAndReadAll("SELECT version() AS v, current_setting('threads') AS t")).getRowObjectsJson()[0];
  return { duckdb: r.v, threads: Number(r.t) };
}
