// The system zlib (pkg-config zlib; apt zlib1g-dev) for reading gzip-compressed archives in
// `switchboard replay`. `inflateInit2` is a macro Swift cannot call: wrapped here.
#ifndef SWITCHBOARD_CZLIB_SHIM_H
#define SWITCHBOARD_CZLIB_SHIM_H
#include <zlib.h>

/// inflateInit2 accepting gzip and zlib headers (windowBits 15 + 32).
static inline int switchboard_inflate_init_gzip(z_streamp stream) {
    return inflateInit2(stream, 15 + 32);
}
#endif
