/*
 * Webhook payloads: the JSON document, the Slack message and the one-line summary of a
 * committed wave event, and the HMAC-SHA256 signature of a body.
 */
#include "notify/notify_event.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sw/clock.h"

static const char *const notify_kind_names[NOTIFY_KIND_COUNT] = {
    "wave_state",
    "wave_halted",
    "stage_completed",
    "shard_failed",
};

const char *notify_kind_name(enum notify_kind k)
{
    return (unsigned)k < NOTIFY_KIND_COUNT ? notify_kind_names[k] : "?";
}

int notify_kind_parse(const char *name, enum notify_kind *out)
{
    for (int k = 0; k < NOTIFY_KIND_COUNT; k++) {
        if (strcmp(name, notify_kind_names[k]) == 0) {
            *out = (enum notify_kind)k;
            return 0;
        }
    }
    return -1;
}

bool notify_kind_matches(enum notify_kind sub, enum notify_kind k)
{
    return sub == k || (sub == NOTIFY_WAVE_STATE && k == NOTIFY_WAVE_HALTED);
}

void notify_event_copy(char *dst, size_t cap, const char *src)
{
    if (cap == 0) {
        return;
    }
    size_t len = src != NULL ? strlen(src) : 0;
    if (len < cap) {
        memcpy(dst, src != NULL ? src : "", len + 1);
        return;
    }
    /* cut at a UTF-8 character boundary, then mark the cut */
    size_t keep = cap > 4 ? cap - 4 : 0;
    while (keep > 0 && ((unsigned char)src[keep] & 0xC0) == 0x80) {
        keep--;
    }
    memcpy(dst, src, keep);
    snprintf(dst + keep, cap - keep, "%s", cap > 4 ? "..." : "");
}

/* ---- the summary ---------------------------------------------------------------------- */

static void notify_summary_halted(const struct notify_event *ev, struct sw_strbuf *sb)
{
    (void)sw_strbuf_printf(sb, NULL, "wave %s halted", ev->wave_id);
    if (ev->stage[0] != '\0') {
        (void)sw_strbuf_printf(sb, NULL, " at stage %s", ev->stage);
    }
    if (ev->shard_id[0] == '\0') {
        (void)sw_strbuf_printf(sb, NULL, ": %s", ev->reason[0] != '\0' ? ev->reason : "halted");
        return;
    }
    (void)sw_strbuf_printf(sb, NULL, ": %zu failed (budget %s) \u2014 shard %s", ev->stage_failed,
                           ev->budget[0] != '\0' ? ev->budget : "0", ev->shard_id);
    if (ev->shard_error[0] != '\0') {
        (void)sw_strbuf_printf(sb, NULL, ": %s", ev->shard_error);
    }
}

static void notify_summary_state(const struct notify_event *ev, struct sw_strbuf *sb)
{
    if (ev->to == WAVE_COMPLETED) {
        (void)sw_strbuf_printf(sb, NULL, "wave %s completed: %zu of %zu shards done", ev->wave_id,
                               ev->counts[WSHARD_DONE], ev->n_shards);
        if (ev->counts[WSHARD_SKIPPED] > 0) {
            (void)sw_strbuf_printf(sb, NULL, ", %zu skipped", ev->counts[WSHARD_SKIPPED]);
        }
        return;
    }
    (void)sw_strbuf_printf(sb, NULL, "wave %s %s \u2192 %s (%s)", ev->wave_id,
                           wave_state_name(ev->from), wave_state_name(ev->to), ev->actor);
    if (ev->reason[0] != '\0') {
        (void)sw_strbuf_printf(sb, NULL, ": %s", ev->reason);
    }
}

void notify_event_summary(const struct notify_event *ev, char *buf, size_t cap)
{
    struct sw_strbuf sb;
    sw_strbuf_init(&sb, NOTIFY_BODY_MAX);
    switch (ev->kind) {
    case NOTIFY_WAVE_HALTED:
        notify_summary_halted(ev, &sb);
        break;
    case NOTIFY_WAVE_STATE:
        notify_summary_state(ev, &sb);
        break;
    case NOTIFY_STAGE_COMPLETED:
        (void)sw_strbuf_printf(&sb, NULL, "wave %s stage %s (%u/%u) passed: %zu shards, %zu failed",
                               ev->wave_id, ev->stage, ev->stage_number, ev->n_stages,
                               ev->stage_shards, ev->stage_failed);
        break;
    case NOTIFY_SHARD_FAILED:
        (void)sw_strbuf_printf(&sb, NULL, "wave %s shard %s failed", ev->wave_id, ev->shard_id);
        if (ev->stage[0] != '\0') {
            (void)sw_strbuf_printf(&sb, NULL, " at stage %s", ev->stage);
        }
        if (ev->shard_error[0] != '\0') {
            (void)sw_strbuf_printf(&sb, NULL, ": %s", ev->shard_error);
        }
        break;
    case NOTIFY_KIND_COUNT:
        break;
    }
    notify_event_copy(buf, cap, sb.len > 0 ? sw_strbuf_str(&sb) : "");
    sw_strbuf_cleanup(&sb);
}

/* ---- JSON --------------------------------------------------------------------------- */

static json_t *notify_json_str_or_null(const char *s)
{
    return s[0] != '\0' ? json_string(s) : json_null();
}

static json_t *notify_json_counts(const struct notify_event *ev)
{
    json_t *o = json_object();
    json_object_set_new(o, "total", json_integer((json_int_t)ev->n_shards));
    for (int k = 0; k < WSHARD_STATE_COUNT; k++) {
        json_object_set_new(o, wave_shard_state_name((enum wave_shard_state)k),
                            json_integer((json_int_t)ev->counts[k]));
    }
    return o;
}

static json_t *notify_json_stage(const struct notify_event *ev)
{
    if (ev->stage[0] == '\0') {
        return json_null();
    }
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(ev->stage));
    json_object_set_new(o, "number", json_integer(ev->stage_number));
    json_object_set_new(o, "of", json_integer(ev->n_stages));
    json_object_set_new(o, "shards", json_integer((json_int_t)ev->stage_shards));
    json_object_set_new(o, "failed", json_integer((json_int_t)ev->stage_failed));
    json_object_set_new(o, "budget", json_string(ev->budget));
    return o;
}

static json_t *notify_json_shard(const struct notify_event *ev)
{
    if (ev->shard_id[0] == '\0') {
        return json_null();
    }
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(ev->shard_id));
    json_object_set_new(o, "error", notify_json_str_or_null(ev->shard_error));
    return o;
}

static json_t *notify_json_doc(const struct notify_event *ev, const char *url)
{
    char at[SW_CLOCK_RFC3339_MAX], summary[NOTIFY_TEXT_MAX * 2], link[512];
    sw_clock_format_rfc3339(ev->at_ms, at, sizeof at);
    notify_event_summary(ev, summary, sizeof summary);
    snprintf(link, sizeof link, "%s/v1/waves/%s", url, ev->wave_id);
    json_t *o = json_object();
    json_object_set_new(o, "event_id", json_integer(ev->event_id));
    json_object_set_new(o, "type", json_string(notify_kind_name(ev->kind)));
    json_object_set_new(o, "wave", json_string(ev->wave_id));
    json_object_set_new(o, "from", json_string(wave_state_name(ev->from)));
    json_object_set_new(o, "to", json_string(wave_state_name(ev->to)));
    json_object_set_new(o, "actor", json_string(ev->actor));
    json_object_set_new(o, "reason", notify_json_str_or_null(ev->reason));
    json_object_set_new(o, "stage", notify_json_stage(ev));
    json_object_set_new(o, "shard", notify_json_shard(ev));
    json_object_set_new(o, "counts", notify_json_counts(ev));
    json_object_set_new(o, "summary", json_string(summary));
    json_object_set_new(o, "coordinator", json_string(url));
    json_object_set_new(o, "wave_url", json_string(link));
    json_object_set_new(o, "at", json_string(at));
    json_object_set_new(o, "at_ms", json_integer(ev->at_ms));
    return o;
}

/* Serialises and releases doc (NULL: out of memory) into out. */
static int notify_dump_take(json_t *doc, struct sw_strbuf *out, struct sw_err *err)
{
    char *text = doc != NULL ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(doc);
    if (text == NULL) {
        return sw_err_set(err, SW_ENOMEM, "webhook payload: out of memory");
    }
    int rc = sw_strbuf_puts(out, text, err);
    free(text);
    return rc;
}

int notify_payload_json(const struct notify_event *ev, const char *coordinator_url,
                        struct sw_strbuf *out, struct sw_err *err)
{
    return notify_dump_take(notify_json_doc(ev, coordinator_url), out, err);
}

/* ---- Slack ------------------------------------------------------------------------- */

/* Slack's escaping of message text: &, < and > as entities. */
static void notify_slack_escape(const char *s, struct sw_strbuf *out)
{
    for (const char *p = s; *p != '\0'; p++) {
        switch (*p) {
        case '&':
            (void)sw_strbuf_puts(out, "&amp;", NULL);
            break;
        case '<':
            (void)sw_strbuf_puts(out, "&lt;", NULL);
            break;
        case '>':
            (void)sw_strbuf_puts(out, "&gt;", NULL);
            break;
        default:
            (void)sw_strbuf_append(out, p, 1, NULL);
            break;
        }
    }
}

static json_t *notify_slack_mrkdwn(const char *type, const char *text)
{
    json_t *t = json_object();
    json_object_set_new(t, "type", json_string(type));
    json_object_set_new(t, "text", json_string(text));
    return t;
}

static json_t *notify_slack_doc(const struct notify_event *ev, const char *url, const char *summary)
{
    char at[SW_CLOCK_RFC3339_MAX];
    sw_clock_format_rfc3339(ev->at_ms, at, sizeof at);
    struct sw_strbuf ctx;
    sw_strbuf_init(&ctx, 4096);
    (void)sw_strbuf_printf(&ctx, NULL, "%s · event %" PRId64 " · %s · <%s/v1/waves/%s|%s>",
                           notify_kind_name(ev->kind), ev->event_id, at, url, ev->wave_id,
                           ev->wave_id);
    json_t *section = json_object();
    json_object_set_new(section, "type", json_string("section"));
    json_object_set_new(section, "text", notify_slack_mrkdwn("mrkdwn", summary));
    json_t *elements = json_array();
    json_array_append_new(elements, notify_slack_mrkdwn("mrkdwn", sw_strbuf_str(&ctx)));
    json_t *context = json_object();
    json_object_set_new(context, "type", json_string("context"));
    json_object_set_new(context, "elements", elements);
    json_t *blocks = json_array();
    json_array_append_new(blocks, section);
    json_array_append_new(blocks, context);
    json_t *o = json_object();
    json_object_set_new(o, "text", json_string(summary));
    json_object_set_new(o, "blocks", blocks);
    sw_strbuf_cleanup(&ctx);
    return o;
}

int notify_payload_slack(const struct notify_event *ev, const char *coordinator_url,
                         struct sw_strbuf *out, struct sw_err *err)
{
    char summary[NOTIFY_TEXT_MAX * 2];
    struct sw_strbuf esc;
    notify_event_summary(ev, summary, sizeof summary);
    sw_strbuf_init(&esc, NOTIFY_BODY_MAX);
    notify_slack_escape(summary, &esc);
    int rc = notify_dump_take(notify_slack_doc(ev, coordinator_url, sw_strbuf_str(&esc)), out, err);
    sw_strbuf_cleanup(&esc);
    return rc;
}

/* ---- signature ------------------------------------------------------------------------ */

int notify_signature(const void *key, size_t key_len, const char *body, size_t body_len,
                     char out[NOTIFY_SIGNATURE_MAX], struct sw_err *err)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)body, body_len, mac,
             &mac_len) == NULL ||
        mac_len != 32) {
        return sw_err_set(err, SW_EINTERNAL, "webhook signature: HMAC-SHA256 failed");
    }
    memcpy(out, "sha256=", 7);
    for (unsigned i = 0; i < mac_len; i++) {
        snprintf(out + 7 + 2 * i, 3, "%02x", mac[i]);
    }
    return 0;
}
