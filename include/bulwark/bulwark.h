/*
 * bulwark.h - the whole public API of libbulwark.
 */
#ifndef BULWARK_H
#define BULWARK_H

#include "bw_batch.h"
#include "bw_buf.h"
#include "bw_bundle.h"
#include "bw_common.h"
#include "bw_csv.h"
#include "bw_dataset.h"
#include "bw_digest.h"
#include "bw_dsse.h"
#include "bw_export.h"
#include "bw_file.h"
#include "bw_gguf.h"
#include "bw_hash.h"
#include "bw_json.h"
#include "bw_jsonl.h"
#include "bw_key.h"
#include "bw_keystore.h"
#include "bw_ledger.h"
#include "bw_log.h"
#include "bw_merkle.h"
#include "bw_note.h"
#include "bw_npy.h"
#include "bw_onnx.h"
#include "bw_parquet.h"
#include "bw_pickle.h"
#include "bw_pool.h"
#include "bw_profile.h"
#include "bw_rd.h"
#include "bw_report.h"
#include "bw_safetensors.h"
#include "bw_scan.h"
#include "bw_secrets.h"
#include "bw_sign.h"
#include "bw_sketch.h"
#include "bw_validate.h"
#include "bw_walk.h"
#include "bw_zip.h"

#endif
