/* bw_safetensors.h - placeholder: being written */
#ifndef BULWARK_BW_SAFETENSORS_H
#define BULWARK_BW_SAFETENSORS_H
#include "bw_common.h"
#endif
