#!/usr/bin/env bash
# The coordinator serves HTTPS when the config names a certificate and key: /healthz and an
# authenticated call over TLS with the CA checked; plain HTTP on the TLS port fails.
source "$(dirname "${BASH_SOURCE[0]}")/coord_lib.sh"

command -v openssl >/dev/null || coord_fail "openssl is required"
coord_setup 4
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1" -keyout "$COORD_TMP/key.pem" \
    -out "$COORD_TMP/cert.pem" >/dev/null 2>&1 || coord_fail "openssl could not make a certificate"
cat >>"$COORD_TMP/coordinator.conf" <<CONF
tls_cert_file = "$COORD_TMP/cert.pem";
tls_key_file = "$COORD_TMP/key.pem";
CONF

"$COORD_BIN" --config "$COORD_TMP/coordinator.conf" >>"$COORD_LOG" 2>&1 &
COORD_PID=$!
tls_healthy()
{
    curl -s -o /dev/null -m 2 --cacert "$COORD_TMP/cert.pem" "https://127.0.0.1:$COORD_PORT/healthz"
}
wait_for "HTTPS /healthz" tls_healthy
status=$(curl -s -o "$COORD_TMP/reply" -w '%{http_code}' --cacert "$COORD_TMP/cert.pem" \
    -H "Authorization: Bearer $READ_TOKEN" "https://127.0.0.1:$COORD_PORT/v1/fleet")
assert_eq "$status" 200 "GET /v1/fleet over TLS"
assert_eq "$(jq '.shards | length' "$COORD_TMP/reply")" 4 "fleet over TLS"
if curl -s -o /dev/null -m 5 "http://127.0.0.1:$COORD_PORT/healthz"; then
    coord_fail "plain HTTP answered on the TLS port"
fi
grep -q "(https)" "$COORD_LOG" || coord_fail "the listening line does not say https"
coord_stop
coord_log "ok"
