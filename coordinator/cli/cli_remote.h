/*
 * The `shardwave` commands that talk to a coordinator (fleet, plan, wave): their
 * option parsing (the global options --coordinator, --token-file, --ca-file,
 * --timeout, --json and each command's own), and the libcurl client: one JSON
 * request at a time with a bearer token, timeouts, an optional CA file and a
 * bounded response, mapping the API's error shape {"error": {code, message, hint}}
 * to a struct sw_err (message, hint and a code that becomes the exit status).
 */
#ifndef SW_CLI_CLI_REMOTE_H
#define SW_CLI_CLI_REMOTE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "sw/err.h"

#define CLI_REMOTE_MAX_POS           2
#define CLI_REMOTE_DEFAULT_TIMEOUT_S 30
#define CLI_REMOTE_DEFAULT_WAIT_S    300
/* Responses larger than this are refused (SW_ETOOBIG): a 200000-shard fleet fits. */
#define CLI_REMOTE_MAX_RESPONSE_BYTES (256u * 1024u * 1024u)

/* Option ids; CLI_REMOTE_OPT(id) is its bit in a command's `allowed` mask. */
enum cli_remote_opt {
    CLI_ROPT_COORDINATOR = 512,
    CLI_ROPT_TOKEN_FILE,
    CLI_ROPT_CA_FILE,
    CLI_ROPT_TIMEOUT,
    CLI_ROPT_JSON,
    CLI_ROPT_LOG_LEVEL,
    CLI_ROPT_HELP,
    CLI_ROPT_DRIFT,
    CLI_ROPT_PLAN,
    CLI_ROPT_MIGRATIONS,
    CLI_ROPT_REASON,
    CLI_ROPT_STATE,
    CLI_ROPT_CANCEL_RUNNING,
    CLI_ROPT_AFTER,
    CLI_ROPT_WAIT,
    CLI_ROPT_WAIT_TIMEOUT,
    CLI_ROPT_ALLOW_UNSAFE,
    CLI_ROPT_RETRY_FAILED,
    CLI_ROPT_END
};

#define CLI_REMOTE_OPT(id) (1u << ((unsigned)(id) - (unsigned)CLI_ROPT_COORDINATOR))
/* Accepted by every remote command. */
#define CLI_REMOTE_GLOBAL                                                                          \
    (CLI_REMOTE_OPT(CLI_ROPT_COORDINATOR) | CLI_REMOTE_OPT(CLI_ROPT_TOKEN_FILE) |                  \
     CLI_REMOTE_OPT(CLI_ROPT_CA_FILE) | CLI_REMOTE_OPT(CLI_ROPT_TIMEOUT) |                         \
     CLI_REMOTE_OPT(CLI_ROPT_JSON) | CLI_REMOTE_OPT(CLI_ROPT_LOG_LEVEL) |                          \
     CLI_REMOTE_OPT(CLI_ROPT_HELP))

/* Parsed options of one remote command. Strings borrow argv or the environment. */
struct cli_remote_args {
    const char *command; /* for messages: "fleet", "wave status", ... */
    const char *coordinator;
    const char *token_file;
    const char *ca_file;
    int timeout_s; /* CLI_REMOTE_DEFAULT_TIMEOUT_S unless --timeout */
    bool json;
    bool help;
    bool drift;
    bool cancel_running;
    const char *plan;
    const char *migrations;
    const char *reason;
    const char *state;
    long long after;    /* --after ID; 0 = not given */
    bool wait;          /* --wait (also set by --wait-timeout) */
    int wait_timeout_s; /* --wait-timeout S; CLI_REMOTE_DEFAULT_WAIT_S unless given */
    bool allow_unsafe;  /* --allow-unsafe (wave start) */
    bool retry_failed;  /* --retry-failed (wave resume) */
    size_t n_pos;
    const char *pos[CLI_REMOTE_MAX_POS];
};

/* Parses argv (argv[0] = the command word) accepting the options in `allowed` (plus
 * CLI_REMOTE_GLOBAL) and at most max_pos positional arguments; `command` names the
 * command in messages ("wave status"). Errors are SW_EINVAL naming the option, with a
 * hint to run --help. */
int cli_remote_args_parse(int argc, char **argv, const char *command, unsigned allowed,
                          size_t max_pos, struct cli_remote_args *out, struct sw_err *err);

/* `shardwave --coordinator URL wave list`: moves global options given before the command
 * word to after it (argv is permuted in place), so each command parses them itself.
 * Returns 0; a no-op when argv[1] is not a remote global option. */
int cli_remote_hoist_globals(int argc, char **argv);

/* Help text shared by the remote commands' --help: the global options, exit status and
 * environment sections. */
#define CLI_REMOTE_HELP_GLOBALS                                                                    \
    "GLOBAL OPTIONS (every coordinator command; also accepted before the command)\n"               \
    "    --coordinator URL  the coordinator, http://HOST:PORT or https://... (or\n"                \
    "                       $SHARDWAVE_COORDINATOR); several coordinators sharing one\n"           \
    "                       store: URL,URL,... (tried in turn; writes follow the leader)\n"        \
    "    --token-file FILE  bearer token: the first line of FILE (or $SHARDWAVE_TOKEN_FILE,\n"     \
    "                       or the token itself in $SHARDWAVE_TOKEN)\n"                            \
    "    --ca-file FILE     trust this CA certificate (PEM) for https\n"                           \
    "    --timeout S        give up on a request after S seconds (default 30)\n"                   \
    "    --json             print the coordinator's JSON answer instead of tables\n"               \
    "    --log-level LEVEL  error, warn (default), info, debug or trace (stderr)\n"                \
    "    -h, --help         show this help\n"
#define CLI_REMOTE_HELP_EXIT                                                                       \
    "EXIT STATUS\n"                                                                                \
    "    0   success\n"                                                                            \
    "    2   invalid input: bad option, plan or migration set (HTTP 400)\n"                        \
    "    3   not found: unknown wave, migration set or file (HTTP 404)\n"                          \
    "    4   conflict: the wave's state forbids the action, or a shard is busy (HTTP 409)\n"       \
    "    7   no answer within --timeout\n"                                                         \
    "    9   cannot reach the coordinator (connection, TLS), or it is shutting down (503)\n"       \
    "    10  the coordinator does not support the request (HTTP 405)\n"                            \
    "    11  request or answer too large (HTTP 413)\n"                                             \
    "    12  token missing, unknown or not allowed to do this (HTTP 401, 403)\n"                   \
    "    70  the coordinator failed (HTTP 500) or answered nonsense\n"                             \
    "    Errors print \"shardwave: <message>\" and often \"hint: <what to do>\" on stderr.\n"
#define CLI_REMOTE_HELP_ENV                                                                        \
    "ENVIRONMENT\n"                                                                                \
    "    SHARDWAVE_COORDINATOR  default for --coordinator\n"                                       \
    "    SHARDWAVE_TOKEN_FILE   default for --token-file\n"                                        \
    "    SHARDWAVE_TOKEN        the token itself, when no token file is given\n"

struct cli_remote;

/* Resolves the coordinator URL (--coordinator, $SHARDWAVE_COORDINATOR; http or https)
 * and the token (--token-file, $SHARDWAVE_TOKEN_FILE, $SHARDWAVE_TOKEN; first line of
 * the file) and prepares a libcurl handle. SW_EINVAL when either is missing or bad.
 * *out is owned by the caller (cli_remote_free). Not thread-safe (one CLI thread). */
int cli_remote_open(const struct cli_remote_args *a, struct cli_remote **out, struct sw_err *err);
void cli_remote_free(struct cli_remote *r);

/* Sends `method` (GET, POST, PUT) to base URL + path (path starts with "/v1/"; segments
 * the caller escaped with cli_remote_escape) with `body` as JSON (borrowed, may be
 * NULL), and parses the JSON answer into *reply (caller json_decref's it).
 * *status gets the HTTP status when status is not NULL. Errors:
 *   SW_ECONNECT  cannot connect, TLS failure, or 503 (coordinator shutting down)
 *   SW_ETIMEOUT  no complete answer within --timeout
 *   SW_ETOOBIG   answer over CLI_REMOTE_MAX_RESPONSE_BYTES, or 413
 *   HTTP errors: the API's message and hint, code by status: 400 SW_EINVAL, 401/403
 *   SW_EAUTH, 404 SW_ENOTFOUND, 405 SW_EUNSUPPORTED, 409 SW_ECONFLICT, 5xx SW_EINTERNAL;
 *   a "problems" list (invalid migration set) and other detail lists are appended to
 *   the message, one per line.
 *   SW_EINTERNAL when a 2xx answer is not a JSON object. */
int cli_remote_call(struct cli_remote *r, const char *method, const char *path, json_t *body,
                    json_t **reply, long *status, struct sw_err *err);

/* The "error" object of the last call's HTTP error answer ({"code", "message", "hint",
 * details...}), so a command can show its details in its own way; NULL when the last
 * call did not fail with an API error. Borrowed, valid until the next call or
 * cli_remote_free. */
const json_t *cli_remote_last_error(const struct cli_remote *r);

/* The sw_err for an HTTP error answer (status >= 300) with `body` (NUL-terminated, any
 * text): message, hint and detail lists from the API's {"error": {...}} shape, the code
 * from the status as cli_remote_call documents; a body that is not that shape gives
 * "the coordinator at <base> answered HTTP <status>". Returns the code. */
int cli_remote_http_error(const char *base, long status, const char *body, struct sw_err *err);

/* URL-escapes one path segment or query value into a heap string (free()); NULL on
 * ENOMEM. */
char *cli_remote_escape(struct cli_remote *r, const char *s);

/* Prints a JSON value on stdout, indented, keys in the server's order, plus '\n'. */
int cli_remote_print_json(const json_t *j, struct sw_err *err);

/* Borrowed string member of obj, or dflt when missing, null or not a string. */
const char *cli_json_str(const json_t *obj, const char *key, const char *dflt);
/* Integer member of obj, or dflt when missing or not an integer. */
long long cli_json_int(const json_t *obj, const char *key, long long dflt);

#endif
