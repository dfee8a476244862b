/* bw_npy.h - placeholder: being written */
#ifndef BULWARK_BW_NPY_H
#define BULWARK_BW_NPY_H
#include "bw_common.h"
#endif
