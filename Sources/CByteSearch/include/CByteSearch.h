#ifndef C_BYTE_SEARCH_H
#define C_BYTE_SEARCH_H
#include <stddef.h>

/// The first occurrence of `needle` in `haystack`, or NULL: the C library's memmem, which Swift cannot see on Linux.
const void *bt_memmem(const void *haystack, size_t haystack_length, const void *needle, size_t needle_length);

#endif
