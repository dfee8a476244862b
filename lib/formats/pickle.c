/* placeholder: being written */
#include "util/internal.h"
