// make_fixtures.mjs - write the Parquet fixtures of tests/data/parquet with two
// independent writers, and a JSON sidecar per file with what two independent
// readers say about it.
//
//   cd tests/data/parquet/gen && npm ci && node make_fixtures.mjs
//
// Writers: DuckDB (@duckdb/node-api, its C++ Parquet writer) and
// hyparquet-writer (pure JavaScript). Readers for the sidecars:
//   - DuckDB's parquet_file_metadata(), parquet_metadata() and
//     parquet_kv_metadata() table functions: file, row group and column chunk
//     fields, statistics as DuckDB prints them;
//   - hyparquet's parquetMetadata() (a separate JavaScript Thrift decoder):
//     the schema elements with their logical types, and the max definition
//     and repetition level of every leaf (hyparquet's getMaxDefinitionLevel /
//     getMaxRepetitionLevel).
// The script checks that both readers agree on the row count, the row
// group count and the schema names before it writes a sidecar.
//
// Tests read the committed .parquet and .json files; node is not needed at
// test time. Every file stays a few KiB.
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetMetadata } from 'hyparquet';
import { getMaxDefinitionLevel, getMaxRepetitionLevel, getSchemaPath } from 'hyparquet/src/schema.js';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { readFileSync, writeFileSync, mkdirSync, unlinkSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..');
mkdirSync(out, { recursive: true });

const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
const db = await inst.connect();
const duckdbVersion = (await db.runAndReadAll('select version() as v')).getRowObjectsJson()[0].v;

async function rows(sql) {
  return (await db.runAndReadAll(sql)).getRowObjectsJson();
}

// A flat table with every common physical and logical type, and nulls.
const FLAT = `
  select
    i::integer as i32,
    (i * 1000000007)::bigint as i64,
    (i / 4)::float as f32,
    (i / 8)::double as f64,
    (i % 3 = 0) as flag,
    case when i % 5 = 4 then null else 'name-' || i end as s,
    (date '2024-01-01' + i::integer)::date as day,
    (timestamp '2024-01-01 00:00:00' + to_hours(i))::timestamp_ms as ts_ms,
    (timestamp '2024-01-01 00:00:00' + to_minutes(i))::timestamp as ts_us,
    (timestamp '2024-01-01 00:00:00' + to_seconds(i))::timestamp_ns as ts_ns,
    (timestamptz '2024-01-01 00:00:00+00' + to_days(i::integer)) as ts_tz,
    (i * 1.25)::decimal(4, 2) as dec4,
    (i * 12345.6789)::decimal(18, 4) as dec18,
    (i * 3.5)::decimal(38, 10) as dec38,
    (i % 200)::utinyint as u8,
    (i - 10)::smallint as i16,
    case when i % 7 = 6 then null else i end::integer as maybe
  from range(0, 25) t(i)`;

// Nested columns: a struct, a list, a map, next to flat ones.
const NESTED = `
  select
    i::integer as id,
    {'a': i, 'b': 'x' || i} as st,
    [i, i + 1, i + 2][1:(i % 4)] as lst,
    map(['k' || i], [i * 2]) as m,
    'tail' || i as tail
  from range(0, 12) t(i)`;

// Several row groups: DuckDB rounds ROW_GROUP_SIZE up to its vector size
// (2048 rows), so this takes 4500 rows of very compressible values.
const MANY = `
  select
    (i // 64)::integer as block,
    (i % 7)::varchar as s,
    case when i % 11 = 0 then null else i // 100 end::bigint as maybe
  from range(0, 4500) t(i)`;

// Repeated values, so DuckDB writes dictionary pages.
const DICT = `
  select
    (i % 3)::integer as small,
    ['red', 'green', 'blue'][(i % 3) + 1] as colour
  from range(0, 40) t(i)`;

const fixtures = [];

async function duckdb(name, query, options) {
  const path = join(out, name + '.parquet');
  if (existsSync(path)) unlinkSync(path);
  await db.run(`copy (${query}) to '${path}' (format parquet${options ? ', ' + options : ''})`);
  fixtures.push({ name, writer: `DuckDB ${duckdbVersion}`, options: options || '' });
}

function hyparquet(name, opts, describe) {
  const path = join(out, name + '.parquet');
  const buf = parquetWriteBuffer(opts);
  writeFileSync(path, new Uint8Array(buf));
  fixtures.push({ name, writer: 'hyparquet-writer ' + readVersion('hyparquet-writer'), options: describe });
}

function readVersion(pkg) {
  return JSON.parse(readFileSync(join(here, 'node_modules', pkg, 'package.json'), 'utf8')).version;
}

await duckdb('duckdb-flat-snappy', FLAT, 'compression snappy');
await duckdb('duckdb-flat-uncompressed', FLAT, 'compression uncompressed');
await duckdb('duckdb-flat-gzip', FLAT, 'compression gzip');
await duckdb('duckdb-flat-zstd', FLAT, 'compression zstd');
await duckdb('duckdb-flat-v2', FLAT, "compression snappy, parquet_version 'V2'");
await duckdb('duckdb-rowgroups-zstd', MANY, 'compression zstd, row_group_size 2048');
await duckdb('duckdb-rowgroups-v2', MANY, "compression snappy, row_group_size 2048, parquet_version 'V2'");
await duckdb('duckdb-nested', NESTED, 'compression uncompressed');
await duckdb('duckdb-dict', DICT, 'compression uncompressed');
await duckdb('duckdb-kv', 'select 1::integer as one, 2::bigint as two',
  "compression uncompressed, kv_metadata {origin: 'bulwark fixtures', 'empty-value': ''}");
await duckdb('duckdb-empty', 'select 1::integer as a, \'x\' as b where false', 'compression uncompressed');

const hyRows = 9;
const hyCols = [
  { name: 'name', data: Array.from({ length: hyRows }, (_, i) => (i === 4 ? null : 'row ' + i)), type: 'STRING' },
  { name: 'count', data: Array.from({ length: hyRows }, (_, i) => i * 3 - 5), type: 'INT32' },
  { name: 'big', data: Array.from({ length: hyRows }, (_, i) => BigInt(i) * 10000000000n), type: 'INT64' },
  { name: 'ratio', data: Array.from({ length: hyRows }, (_, i) => i / 3), type: 'DOUBLE' },
  { name: 'ok', data: Array.from({ length: hyRows }, (_, i) => i % 2 === 0), type: 'BOOLEAN' },
  { name: 'when', data: Array.from({ length: hyRows }, (_, i) => new Date(Date.UTC(2024, 0, 1 + i))), type: 'TIMESTAMP' },
  { name: 'doc', data: Array.from({ length: hyRows }, (_, i) => ({ k: i })), type: 'JSON' },
  {
    name: 'id',
    data: Array.from({ length: hyRows }, (_, i) => {
      const u = new Uint8Array(16);
      u.fill(i);
      return u;
    }),
    type: 'UUID',
  },
];
hyparquet('hyparquet-flat-snappy', {
  columnData: hyCols,
  rowGroupSize: 4,
  codec: 'SNAPPY',
  kvMetadata: [{ key: 'made-by', value: 'make_fixtures.mjs' }],
  createdBy: 'hyparquet-writer ' + readVersion('hyparquet-writer'),
}, 'codec SNAPPY, rowGroupSize 4, kvMetadata');
hyparquet('hyparquet-flat-uncompressed', {
  columnData: hyCols,
  rowGroupSize: 5,
  codec: 'UNCOMPRESSED',
  statistics: false,
  createdBy: 'hyparquet-writer ' + readVersion('hyparquet-writer'),
}, 'codec UNCOMPRESSED, rowGroupSize 5, statistics false');

// Logical types DuckDB does not write (STRING, ENUM, INTEGER, JSON, TIME,
// FLOAT16, TIMESTAMP NANOS with UTC), field ids and REQUIRED leaves, through
// an explicit schema. (hyparquet-writer 0.17 writes IntType.bitWidth, an i8,
// as an i32: see the invalid fixture below.)
const n3 = 6;
hyparquet('hyparquet-logical', {
  columnData: [
    { name: 's', data: Array.from({ length: n3 }, (_, i) => 'str' + i) },
    { name: 'e', data: Array.from({ length: n3 }, (_, i) => ['A', 'B'][i % 2]) },
    { name: 'u16', data: Array.from({ length: n3 }, (_, i) => 60000 + i) },
    { name: 'd', data: Array.from({ length: n3 }, (_, i) => new Date(Date.UTC(2020, 1, 1 + i))) },
    { name: 'j', data: Array.from({ length: n3 }, (_, i) => ({ n: i })) },
    { name: 'tns', data: Array.from({ length: n3 }, (_, i) => BigInt(i) * 1000000007n) },
    { name: 'tm', data: Array.from({ length: n3 }, (_, i) => i * 1000) },
    { name: 'dec', data: Array.from({ length: n3 }, (_, i) => i * 1.5) },
    { name: 'f16', data: Array.from({ length: n3 }, (_, i) => i / 2) },
  ],
  schema: [
    { name: 'schema', num_children: 9 },
    { name: 's', type: 'BYTE_ARRAY', repetition_type: 'REQUIRED', converted_type: 'UTF8', logical_type: { type: 'STRING' }, field_id: 1 },
    { name: 'e', type: 'BYTE_ARRAY', repetition_type: 'REQUIRED', converted_type: 'ENUM', logical_type: { type: 'ENUM' }, field_id: 2 },
    { name: 'u16', type: 'INT32', repetition_type: 'OPTIONAL', converted_type: 'UINT_16', field_id: 3 },
    { name: 'd', type: 'INT32', repetition_type: 'OPTIONAL', converted_type: 'DATE', logical_type: { type: 'DATE' } },
    { name: 'j', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL', converted_type: 'JSON', logical_type: { type: 'JSON' } },
    { name: 'tns', type: 'INT64', repetition_type: 'OPTIONAL', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'NANOS' } },
    { name: 'tm', type: 'INT32', repetition_type: 'OPTIONAL', converted_type: 'TIME_MILLIS', logical_type: { type: 'TIME', isAdjustedToUTC: false, unit: 'MILLIS' } },
    { name: 'dec', type: 'FIXED_LEN_BYTE_ARRAY', type_length: 5, repetition_type: 'OPTIONAL', converted_type: 'DECIMAL', scale: 3, precision: 10, logical_type: { type: 'DECIMAL', scale: 3, precision: 10 } },
    { name: 'f16', type: 'FIXED_LEN_BYTE_ARRAY', type_length: 2, repetition_type: 'OPTIONAL', logical_type: { type: 'FLOAT16' } },
  ],
  codec: 'UNCOMPRESSED',
  rowGroupSize: 6,
  createdBy: 'hyparquet-writer ' + readVersion('hyparquet-writer'),
}, 'codec UNCOMPRESSED, explicit schema with logical types and field ids');

// Types and codecs the flat fixtures above do not cover: LZ4 (DuckDB writes
// LZ4_RAW), UUID, BLOB, TIME, unsigned 64-bit values over INT64_MAX, other
// integer widths, null patterns (all null, leading and trailing nulls).
const TYPES = `
  select
    i::integer as id,
    ('00000000-0000-4000-8000-' || lpad(printf('%x', i * 7919), 12, '0'))::uuid as u,
    case when i % 3 = 1 then null else ('\\x00\\xff'::blob || i::varchar::blob) end as bin,
    (time '00:00:00' + to_milliseconds(i * 1234567))::time as tm,
    case when i % 2 = 0 then (18446744073709551615 - i)::ubigint else i::ubigint end as ub,
    (i * 65537)::uinteger as ui,
    (i % 250 - 125)::tinyint as ti,
    null::integer as all_null,
    case when i < 5 or i > 290 then null else 'v' || (i % 17) end as edge_nulls,
    (timestamp '1969-12-31 23:59:59' + to_microseconds(i * 7))::timestamp_ns as ts_old
  from range(0, 300) t(i)`;

await duckdb('duckdb-types-lz4', TYPES, 'compression lz4');
await duckdb('duckdb-types-v2-gzip', TYPES, "compression gzip, parquet_version 'V2'");
await duckdb('duckdb-types-brotli', TYPES, 'compression brotli');

// Every value encoding hyparquet-writer can be asked for, in DATA_PAGE_V2
// pages of at most 512 bytes (so many pages per chunk), with nulls.
const encRows = 700;
const nullEvery = (k, f) => (_, i) => (i % k === k - 1 ? null : f(i));
hyparquet('hyparquet-encodings', {
  columnData: [
    { name: 'dbp32', data: Array.from({ length: encRows }, nullEvery(9, (i) => (i * i * 37) % 100003 - 50000)), type: 'INT32', encoding: 'DELTA_BINARY_PACKED' },
    { name: 'dbp64', data: Array.from({ length: encRows }, (_, i) => (i % 5 === 0 ? -9223372036854775808n : i % 5 === 1 ? 9223372036854775807n : BigInt(i) * 1000000007n)), type: 'INT64', encoding: 'DELTA_BINARY_PACKED' },
    { name: 'dlba', data: Array.from({ length: encRows }, nullEvery(7, (i) => 'len-' + 'x'.repeat(i % 23) + i)), type: 'STRING', encoding: 'DELTA_LENGTH_BYTE_ARRAY' },
    { name: 'dba', data: Array.from({ length: encRows }, nullEvery(11, (i) => 'prefix/common/' + String(Math.floor(i / 3)).padStart(5, '0') + '/é' + (i % 3))), type: 'STRING', encoding: 'DELTA_BYTE_ARRAY' },
    { name: 'rleb', data: Array.from({ length: encRows }, nullEvery(13, (i) => Math.floor(i / 40) % 2 === 0 || i % 7 === 0)), type: 'BOOLEAN', encoding: 'RLE' },
    { name: 'bssf', data: Array.from({ length: encRows }, nullEvery(5, (i) => Math.fround(i / 7))), type: 'FLOAT', encoding: 'BYTE_STREAM_SPLIT' },
    { name: 'bssd', data: Array.from({ length: encRows }, (_, i) => i * Math.PI - 1000), type: 'DOUBLE', encoding: 'BYTE_STREAM_SPLIT' },
    { name: 'dict', data: Array.from({ length: encRows }, nullEvery(4, (i) => ['alpha', 'beta', 'gamma', 'delta', 'épsilon'][i % 5])), type: 'STRING', encoding: 'RLE_DICTIONARY' },
    { name: 'dicti', data: Array.from({ length: encRows }, (_, i) => BigInt(i % 37) * 1000n), type: 'INT64', encoding: 'RLE_DICTIONARY' },
    { name: 'plain_b', data: Array.from({ length: encRows }, nullEvery(3, (i) => i % 3 === 0)), type: 'BOOLEAN', encoding: 'PLAIN' },
  ],
  codec: 'SNAPPY',
  pageSize: 512,
  rowGroupSize: 400,
  createdBy: 'hyparquet-writer ' + readVersion('hyparquet-writer'),
}, 'codec SNAPPY, pageSize 512, rowGroupSize 400, an explicit encoding per column');

// A real writer's mistake: hyparquet-writer 0.17 encodes the INTEGER logical
// type's bitWidth (i8 in parquet.thrift) with the i32 field type. Thrift's
// generated readers skip a field of the wrong type, so the required bitWidth
// is missing and DuckDB refuses the file ("TProtocolException: Invalid
// data"), as bulwark must. It gets no sidecar, only the refusal recorded.
{
  mkdirSync(join(out, 'invalid'), { recursive: true });
  const path = join(out, 'invalid', 'hyparquet-int-bitwidth-i32.parquet');
  const buf = parquetWriteBuffer({
    columnData: [{ name: 'u16', data: [60000, 60001, 60002] }],
    schema: [
      { name: 'schema', num_children: 1 },
      { name: 'u16', type: 'INT32', repetition_type: 'OPTIONAL', logical_type: { type: 'INTEGER', bitWidth: 16, isSigned: false } },
    ],
    codec: 'UNCOMPRESSED',
    createdBy: 'hyparquet-writer ' + readVersion('hyparquet-writer'),
  });
  writeFileSync(path, new Uint8Array(buf));
  let refusal = null;
  try {
    await db.run(`select * from parquet_metadata('${path}')`);
  } catch (e) {
    refusal = String(e.message || e);
  }
  if (refusal === null) throw new Error('DuckDB accepted hyparquet-int-bitwidth-i32.parquet');
  writeFileSync(path.replace(/\.parquet$/, '.json'), JSON.stringify({
    file: 'invalid/hyparquet-int-bitwidth-i32.parquet',
    writer: 'hyparquet-writer ' + readVersion('hyparquet-writer'),
    rejected_by: `DuckDB ${duckdbVersion}`,
    duckdb_error: refusal,
  }, null, 1) + '\n');
  console.log(`invalid/hyparquet-int-bitwidth-i32.parquet: ${buf.byteLength} bytes, DuckDB: ${refusal}`);
}

// ---- sidecars ----------------------------------------------------------

function jsonable(v) {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(jsonable);
  if (v && typeof v === 'object') {
    const o = {};
    for (const [k, x] of Object.entries(v)) {
      if (x !== undefined) o[k] = jsonable(x);
    }
    return o;
  }
  return v;
}

for (const fx of fixtures) {
  const path = join(out, fx.name + '.parquet');
  const bytes = readFileSync(path);
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const hy = parquetMetadata(ab);

  const file = (await rows(`select * from parquet_file_metadata('${path}')`))[0];
  const columns = await rows(`select * from parquet_metadata('${path}') order by row_group_id, column_id`);
  const kv = await rows(`select decode(key) as key, decode(value) as value from parquet_kv_metadata('${path}')`);

  // leaves, in schema order, with their levels as hyparquet computes them
  const leaves = [];
  const walk = (prefix, i) => {
    const el = hy.schema[i];
    const path2 = i === 0 ? [] : [...prefix, el.name];
    let next = i + 1;
    if (i === 0 || el.num_children > 0) {
      for (let c = 0; c < (el.num_children || 0); c++) next = walk(path2, next);
    } else {
      const sp = getSchemaPath(hy.schema, path2);
      leaves.push({
        path: path2,
        max_def: getMaxDefinitionLevel(sp),
        max_rep: getMaxRepetitionLevel(sp),
      });
    }
    return next;
  };
  walk([], 0);

  // the two readers must agree before their answers become a fixture
  const fail = (what) => {
    throw new Error(`${fx.name}: DuckDB and hyparquet disagree on ${what}`);
  };
  if (String(hy.num_rows) !== file.num_rows) fail('num_rows');
  if (String(hy.row_groups.length) !== file.num_row_groups) fail('the row group count');
  if (hy.metadata_length !== Number(file.footer_size)) fail('the footer size');
  hy.row_groups.forEach((rg, r) => {
    rg.columns.forEach((cc, c) => {
      const d = columns.find((x) => Number(x.row_group_id) === r && Number(x.column_id) === c);
      if (!d) fail(`row group ${r} column ${c}`);
      if (String(cc.meta_data.data_page_offset) !== d.data_page_offset) fail(`data_page_offset ${r}/${c}`);
      if (String(cc.meta_data.num_values) !== d.num_values) fail(`num_values ${r}/${c}`);
      if (cc.meta_data.path_in_schema.join('.') !== d.path_in_schema.split(', ').join('.')) fail(`path ${r}/${c}`);
    });
  });

  const sidecar = {
    file: fx.name + '.parquet',
    writer: fx.writer,
    writer_options: fx.options,
    readers: [`DuckDB ${duckdbVersion}`, 'hyparquet ' + readVersion('hyparquet')],
    file_size: bytes.length,
    footer_size: hy.metadata_length,
    version: hy.version,
    num_rows: file.num_rows,
    num_row_groups: Number(file.num_row_groups),
    created_by: hy.created_by ?? null,
    key_value_metadata: kv,
    schema: jsonable(hy.schema),
    leaves,
    row_groups: jsonable(
      hy.row_groups.map((rg, r) => ({
        num_rows: rg.num_rows,
        total_byte_size: rg.total_byte_size,
        columns: columns
          .filter((x) => Number(x.row_group_id) === r)
          .map((x) => ({
            // DuckDB 1.5 prints 0 for ColumnChunk.file_offset whatever the file holds
            // (hyparquet-writer writes the first page's offset there): take hyparquet's
            file_offset: rg.columns[Number(x.column_id)].file_offset,
            num_values: x.num_values,
            path_in_schema: rg.columns[Number(x.column_id)].meta_data.path_in_schema,
            type: x.type,
            codec: x.compression,
            encodings: rg.columns[Number(x.column_id)].meta_data.encodings,
            data_page_offset: x.data_page_offset,
            dictionary_page_offset: x.dictionary_page_offset,
            total_compressed_size: x.total_compressed_size,
            total_uncompressed_size: x.total_uncompressed_size,
            stats_null_count: x.stats_null_count,
            stats_distinct_count: x.stats_distinct_count,
            stats_min: x.stats_min,
            stats_max: x.stats_max,
            stats_min_value: x.stats_min_value,
            stats_max_value: x.stats_max_value,
          })),
      })),
    ),
  };
  writeFileSync(join(out, fx.name + '.json'), JSON.stringify(sidecar, null, 1) + '\n');
  console.log(`${fx.name}.parquet: ${bytes.length} bytes, ${file.num_rows} rows, ${file.num_row_groups} row groups`);
}

// ---- value sidecars -------------------------------------------------------
//
// <name>.values.json: every value of every flat column, as DuckDB reads the
// file (not bulwark), in the form bulwark's batch holds it: the type bulwark
// maps the column to (docs/internals/parquet.md), and int64 / timestamps /
// dates as decimal strings (timestamps in microseconds since 1970, dates in
// days), floats as JSON numbers, strings as strings, binary as lowercase hex,
// nulls as null. Nested columns are listed under "skipped".

function valueExpr(col, type) {
  const c = `"${col}"`;
  if (type === 'BOOLEAN') return { t: 'bool', e: c };
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|UTINYINT|USMALLINT|UINTEGER)$/.test(type)) return { t: 'int64', e: `${c}::varchar` };
  if (type === 'UBIGINT') return { t: 'uint64', e: `${c}::varchar` };
  if (type === 'FLOAT' || type === 'DOUBLE' || type.startsWith('DECIMAL')) return { t: 'float64', e: `${c}::double` };
  if (type === 'VARCHAR' || type === 'JSON') return { t: 'string', e: `${c}::varchar` };
  if (type === 'BLOB') return { t: 'string', e: `lower(hex(${c}))` };
  if (type === 'UUID') return { t: 'string', e: `${c}::varchar` };
  if (type === 'DATE') return { t: 'date', e: `(${c} - date '1970-01-01')::varchar` };
  if (type === 'TIMESTAMP_NS') return { t: 'timestamp', e: `((epoch_ns(${c}) - ((epoch_ns(${c}) % 1000) + 1000) % 1000) // 1000)::varchar` };
  if (type.startsWith('TIMESTAMP')) return { t: 'timestamp', e: `epoch_us(${c})::varchar` };
  if (type === 'TIME') return { t: 'int64', e: `epoch_us(${c})::varchar` };
  return null;
}

const nestedTypes = /STRUCT|\[\]|MAP\(/;
for (const fx of fixtures) {
  const path = join(out, fx.name + '.parquet');
  const desc = await rows(`describe select * from read_parquet('${path}')`);
  const columns = [];
  const skipped = [];
  for (const d of desc) {
    if (nestedTypes.test(d.column_type)) {
      skipped.push(d.column_name);
      continue;
    }
    const v = valueExpr(d.column_name, d.column_type);
    if (!v) throw new Error(`${fx.name}: no value mapping for ${d.column_name} ${d.column_type}`);
    const vals = (await rows(`select ${v.e} as v from read_parquet('${path}')`)).map((r) => r.v);
    let t = v.t;
    if (t === 'uint64') {
      // bulwark reads UINT_64 as int64 until a value is over INT64_MAX, then float64
      const big = vals.some((x) => x !== null && BigInt(x) > 9223372036854775807n);
      t = big ? 'float64' : 'int64';
      if (big) {
        const dv = (await rows(`select "${d.column_name}"::double as v from read_parquet('${path}')`)).map((r) => r.v);
        columns.push({ name: d.column_name, duckdb_type: d.column_type, type: t, values: dv });
        continue;
      }
    }
    columns.push({ name: d.column_name, duckdb_type: d.column_type, type: t, values: vals });
  }
  const nrows = Number((await rows(`select count(*)::varchar as n from read_parquet('${path}')`))[0].n);
  writeFileSync(join(out, fx.name + '.values.json'), JSON.stringify({
    file: fx.name + '.parquet',
    reader: `DuckDB ${duckdbVersion}`,
    rows: nrows,
    columns,
    skipped,
  }) + '\n');
  console.log(`${fx.name}.values.json: ${columns.length} columns, ${nrows} rows`);
}
