/* placeholder: being written */
#include "scan/mscan.h"
