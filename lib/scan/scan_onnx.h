/* scan_onnx.h - SavedModel scanning, next to ONNX (both protobuf). Internal. */
#ifndef BW_SCAN_ONNX_H
#define BW_SCAN_ONNX_H
#include "scan/mscan.h"
__attribute__((visibility("hidden"))) bw_status bw_scan_savedmodel(bw_mscan *s, const void *p, size_t n);
__attribute__((visibility("hidden"))) int bw_sniff_savedmodel(const uint8_t *p, size_t n);
#endif
