#include "tap.h"
int main(void) { skip_all("placeholder: not written yet"); }
