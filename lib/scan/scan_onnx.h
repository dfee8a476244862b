/*
 * scan_onnx.h - TensorFlow SavedModel scanning, which lives with the ONNX
 * scanner in lib/scan/scan_onnx.c (both walk protobuf with lib/formats/onnx.c).
 * bw_scan_onnx and bw_sniff_onnx are declared in mscan.h with the others.
 */
#ifndef BW_SCAN_ONNX_H
#define BW_SCAN_ONNX_H

#include "scan/mscan.h"

/* Scan a saved_model.pb: dangerous TensorFlow ops in graphs and function libraries. BW_OK unless out of memory. */
__attribute__((visibility("hidden"))) bw_status bw_scan_savedmodel(bw_mscan *s, const void *p, size_t n);

/* Non-zero when the bytes look like a SavedModel protobuf (cheap, bounded). */
__attribute__((visibility("hidden"))) int bw_sniff_savedmodel(const uint8_t *p, size_t n);

#endif
