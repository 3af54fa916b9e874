/* SHA-256 checksums of migration files (OpenSSL libcrypto), CRLF folded to LF first. */
#ifndef SW_PROTO_CHECKSUM_H
#define SW_PROTO_CHECKSUM_H

#include <stddef.h>

#include "sw/err.h"

#define CHECKSUM_HEX_LEN 64

/* Writes the lowercase hex SHA-256 of data with every "\r\n" folded to "\n" into
 * out (CHECKSUM_HEX_LEN + 1 bytes, NUL-terminated). */
int checksum_sha256_hex(const void *data, size_t len, char out[CHECKSUM_HEX_LEN + 1],
                        struct sw_err *err);
/* Plain SHA-256 of data (no folding), hex. For digests of our own texts. */
int checksum_sha256_hex_raw(const void *data, size_t len, char out[CHECKSUM_HEX_LEN + 1],
                            struct sw_err *err);

#endif
