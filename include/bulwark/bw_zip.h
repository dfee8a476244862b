/* bw_zip.h - placeholder: being written */
#ifndef BULWARK_BW_ZIP_H
#define BULWARK_BW_ZIP_H
#include "bw_common.h"
#endif
