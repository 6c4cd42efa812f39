/*
 * fuzz-xml.c -- libFuzzer harness for the HistFactory XML reader (src/io/xml-read.c): parses the
 * input as a driver or channel XML (ROOT files are not opened from memory) and builds what it can.
 * Build: see docs/io.md.
 */
#include "io/io.h"

int LLVMFuzzerTestOneInput(const unsigned char * data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char * data, size_t size) {
    struct hfx_error err = {0};
    (void) hfx__xml_check_memory((const char *) data, size, &err);
    return 0;
}
