/* placeholder until the CLI lands */
#include "hfx/hfx.h"
int main(void) { return 0; }
