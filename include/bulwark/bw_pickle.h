/* bw_pickle.h - placeholder: being written */
#ifndef BULWARK_BW_PICKLE_H
#define BULWARK_BW_PICKLE_H
#include "bw_common.h"
#endif
