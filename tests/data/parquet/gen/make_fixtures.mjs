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
