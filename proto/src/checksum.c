/*
 * SHA-256 checksums through OpenSSL's EVP interface. Migration checksums fold
 * CRLF to LF so a checkout with autocrlf does not look like an edited file.
 */
#include "sw/checksum.h"

#include <openssl/evp.h>
#include <stdbool.h>
#include <string.h>

static void checksum_to_hex(const unsigned char *md, unsigned int md_len,
                            char out[CHECKSUM_HEX_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    for (unsigned int i = 0; i < md_len && i < CHECKSUM_HEX_LEN / 2; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 0x0f];
    }
    out[CHECKSUM_HEX_LEN] = '\0';
}

/* Feeds data to ctx, dropping each '\r' that directly precedes a '\n' when fold is set. */
static int checksum_update(EVP_MD_CTX *ctx, const char *data, size_t len, bool fold)
{
    if (!fold) {
        return EVP_DigestUpdate(ctx, data, len);
    }
    size_t start = 0;
    for (size_t i = 0; i + 1 < len; i++) {
        if (data[i] == '\r' && data[i + 1] == '\n') {
            if (EVP_DigestUpdate(ctx, data + start, i - start) != 1) {
                return 0;
            }
            start = i + 1;
        }
    }
    return EVP_DigestUpdate(ctx, data + start, len - start);
}

static int checksum_compute(const void *data, size_t len, bool fold, char out[CHECKSUM_HEX_LEN + 1],
                            struct sw_err *err)
{
    int rc = 0;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        return sw_err_set(err, SW_ENOMEM, "sha256: out of memory");
    }
    if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
        checksum_update(ctx, data, len, fold) != 1 || EVP_DigestFinal_ex(ctx, md, &md_len) != 1 ||
        md_len != CHECKSUM_HEX_LEN / 2) {
        rc = sw_err_set(err, SW_EINTERNAL, "sha256: OpenSSL digest failed");
        goto out;
    }
    checksum_to_hex(md, md_len, out);
out:
    EVP_MD_CTX_free(ctx);
    return rc;
}

int checksum_sha256_hex(const void *data, size_t len, char out[CHECKSUM_HEX_LEN + 1],
                        struct sw_err *err)
{
    return checksum_compute(data, len, true, out, err);
}

int checksum_sha256_hex_raw(const void *data, size_t len, char out[CHECKSUM_HEX_LEN + 1],
                            struct sw_err *err)
{
    return checksum_compute(data, len, false, out, err);
}
