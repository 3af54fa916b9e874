/*
 * What a webhook tells: one committed wave event (a state change, a halt, a stage that
 * passed, a failed shard) as plain data, and the bodies sent for it: the JSON document,
 * the Slack message, the one-line summary and the HMAC-SHA256 signature header.
 * Pure: no I/O, no clock reads, no threads (docs/notifications.md shows the payloads).
 */
#ifndef SW_COORDINATOR_NOTIFY_NOTIFY_EVENT_H
#define SW_COORDINATOR_NOTIFY_NOTIFY_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sw/err.h"
#include "sw/strbuf.h"
#include "wave/wave_types.h"

#define NOTIFY_TEXT_MAX      1024 /* reason and shard error; longer ones are cut with "..." */
#define NOTIFY_NAME_MAX      128  /* stage names and actors */
#define NOTIFY_SIGNATURE_MAX 72   /* "sha256=" + 64 hex digits + NUL */
#define NOTIFY_BODY_MAX      (64 * 1024)

/* The event types, as subscribed in the config (`events`) and sent as "type". */
enum notify_kind {
    NOTIFY_WAVE_STATE,      /* "wave_state": the wave's state changed (not to halted) */
    NOTIFY_WAVE_HALTED,     /* "wave_halted": the wave's state changed to halted */
    NOTIFY_STAGE_COMPLETED, /* "stage_completed": a stage passed (bake and gate done) */
    NOTIFY_SHARD_FAILED,    /* "shard_failed": a shard's step or rollback failed */
    NOTIFY_KIND_COUNT
};

const char *notify_kind_name(enum notify_kind k);
/* 0, or -1 for an unknown name. */
int notify_kind_parse(const char *name, enum notify_kind *out);
/* Whether a hook subscribed to `sub` receives an event of kind `k`: the same kind, and a
 * wave_state subscription also receives halts (a halt is a state change). */
bool notify_kind_matches(enum notify_kind sub, enum notify_kind k);

/* One committed event. Plain data; strings are bounded copies (cut with "..."). */
struct notify_event {
    int64_t event_id; /* the store's event id: the same on every retry (receivers dedupe) */
    enum notify_kind kind;
    int64_t at_ms; /* when it was committed, wall clock */
    char wave_id[WAVE_ID_MAX + 1];
    enum wave_state from; /* the wave's state before and after (equal when unchanged) */
    enum wave_state to;
    char actor[NOTIFY_NAME_MAX];       /* token name, "scheduler", agent id */
    char stage[NOTIFY_NAME_MAX];       /* the stage concerned; "" = none */
    uint32_t stage_number;             /* 1-based; 0 = none */
    uint32_t n_stages;                 /* stages of the wave's plan */
    size_t stage_failed;               /* failed shards of that stage */
    size_t stage_shards;               /* shards of that stage */
    char budget[32];                   /* the stage's failure budget: "0", "2", "10%" */
    char shard_id[FLEET_ID_MAX + 1];   /* the shard concerned; "" = none */
    char shard_error[NOTIFY_TEXT_MAX]; /* its error; "" = none */
    char reason[NOTIFY_TEXT_MAX];      /* the halt reason or the event's message */
    size_t n_shards;                   /* shards of the wave */
    size_t counts[WSHARD_STATE_COUNT]; /* the wave's shards by state, after the event */
};

/* Copies src into a bounded field, cutting with "..." when it does not fit. */
void notify_event_copy(char *dst, size_t cap, const char *src);

/* The one-line summary (Slack text, logs of the receiver), e.g.
 * "wave w-123 halted at stage canary: 2 failed (budget 0) — shard t-17: ERROR: ...".
 * Always NUL-terminated; cut with "..." at cap. */
void notify_event_summary(const struct notify_event *ev, char *buf, size_t cap);

/* Appends the JSON document for ev (docs/notifications.md) to out. coordinator_url is the
 * coordinator's public URL without a trailing slash (links). SW_ETOOBIG past out's max. */
int notify_payload_json(const struct notify_event *ev, const char *coordinator_url,
                        struct sw_strbuf *out, struct sw_err *err);

/* Appends a Slack incoming-webhook message: {"text": summary, "blocks": [...]}, with
 * &, < and > escaped as Slack requires. */
int notify_payload_slack(const struct notify_event *ev, const char *coordinator_url,
                         struct sw_strbuf *out, struct sw_err *err);

/* "sha256=" + the lowercase hex HMAC-SHA256 of body under key, into out. SW_EINTERNAL when
 * libcrypto fails. */
int notify_signature(const void *key, size_t key_len, const char *body, size_t body_len,
                     char out[NOTIFY_SIGNATURE_MAX], struct sw_err *err);

#endif
