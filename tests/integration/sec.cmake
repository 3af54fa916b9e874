# Bad input and security (issue 6; docs/reliability.md "Security"): a real coordinator
# (and agents, CLI) attacked with malformed HTTP, hostile identifiers, wrong tokens and
# roles, wrong TLS CAs, and a full wave whose secrets must not leak.
sw_script_test(NAME sec_http SCRIPT sec_http.sh)
sw_script_test(NAME sec_auth SCRIPT sec_auth.sh)
sw_script_test(NAME sec_ids SCRIPT sec_ids.sh)
sw_script_test(NAME sec_tls_secrets SCRIPT sec_tls_secrets.sh)
