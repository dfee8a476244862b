/* bw_gguf.h - placeholder: being written */
#ifndef BULWARK_BW_GGUF_H
#define BULWARK_BW_GGUF_H
#include "bw_common.h"
#endif
