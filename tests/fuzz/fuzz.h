/* fuzz.h - what every libFuzzer target here shares: the entry point's
 * prototype and CHECK, which aborts (a finding) when an invariant fails. */
#ifndef PARLEY_TESTS_FUZZ_H
#define PARLEY_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                  \
	do {                         \
		if (!(cond))         \
			abort();     \
	} while (0)

#endif
