/*
 * The agent's durable report queue: every report is written to state_dir before the
 * agent tries to send it, in a file of one or more reports (written atomically: temp,
 * fsync, rename, fsync of the directory; named by its first report's seq), and a file is
 * deleted only after the coordinator accepted all of its reports (or called them
 * duplicates). Acks of part of a file are kept in memory: after a restart those reports
 * are sent again, and the coordinator answers "duplicate".
 * Reports carry idempotent ids "<agent>:<seq>"; seq keeps increasing across restarts
 * (a high-water mark reserved in blocks in state_dir/seq), so an id is never reused.
 * Delivery order is seq order among the reports queued; one thread's reports go in the
 * order it pushed them (another thread's push in progress may add earlier ids a moment
 * later). Thread-safe: one mutex, not held while a file is written, so concurrent pushes'
 * fsyncs overlap.
 */
#ifndef SW_AGENT_DAEMON_AGENT_QUEUE_H
#define SW_AGENT_DAEMON_AGENT_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "sw/err.h"
#include "sw/wire_report.h"

struct agent_queue;

/* Opens (creating the directory, mode 0700) and scans the queue: reports left by an
 * earlier run are delivered first. SW_EIO naming the path on file system errors. */
int agent_queue_open(const char *dir, const char *agent_id, struct agent_queue **out,
                     struct sw_err *err);
void agent_queue_free(struct agent_queue *q);

/* Assigns r->id ("<agent>:<seq>") and stores r durably. r stays the caller's. */
int agent_queue_push(struct agent_queue *q, struct wire_report *r, struct sw_err *err);

/* Assigns consecutive ids to rs[0..n) and stores them durably in one file (n over
 * WIRE_MAX_REPORTS: one file per WIRE_MAX_REPORTS): one fsync for the lot. The reports
 * stay the caller's. */
int agent_queue_push_batch(struct agent_queue *q, struct wire_report *rs, size_t n,
                           struct sw_err *err);

/* The oldest reports, at most max (1..WIRE_MAX_REPORTS), as a request ready to
 * encode (out->agent set). n_reports 0 when the queue is empty. A file that cannot be
 * read back is moved to state_dir/bad/ (logged) so it never blocks the queue. */
int agent_queue_peek(struct agent_queue *q, size_t max, struct wire_report_req *out,
                     struct sw_err *err);

/* Deletes the reports with these ids (accepted or duplicates). Unknown ids are ignored. */
int agent_queue_ack(struct agent_queue *q, char *const *ids, size_t n_ids, struct sw_err *err);

/* Moves one report the coordinator refused for good (a 400) to state_dir/bad/; the
 * others of its file are kept (the file rewritten atomically without it). */
int agent_queue_reject(struct agent_queue *q, const char *id, struct sw_err *err);

size_t agent_queue_len(struct agent_queue *q);

#endif
