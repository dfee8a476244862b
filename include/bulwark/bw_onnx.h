/* bw_onnx.h - placeholder: being written */
#ifndef BULWARK_BW_ONNX_H
#define BULWARK_BW_ONNX_H
#include "bw_common.h"
#endif
