/*
 * sw_faultproxy: a small fault-injecting TCP proxy for the fault suite (issue 6, "a slow or
 * lossy network"). Single-threaded and poll()-based: it listens on 127.0.0.1 and forwards
 * each connection to 127.0.0.1:UPSTREAM, delaying every chunk, dropping some new
 * connections at once and resetting some part-way through one of the upstream's replies
 * (HTTP clients keep connections alive, so the dice are rolled per reply, not per
 * connection). Three PRNG streams drawn from --seed (connections, replies, delays) make the
 * n-th connection's and the n-th reply's fate reproducible whatever the timing. It prints
 * its port on stdout when ready, its counters on exit, and stops by itself after
 * --max-seconds.
 *
 * sw_faultproxy --upstream PORT [--port PORT] [--delay-min-ms MS] [--delay-max-ms MS]
 *     [--drop-pct P] [--reset-pct P] [--reset-max-bytes N] [--seed N] [--max-seconds S]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sw/clock.h"
#include "sw/err.h"
#include "sw/numparse.h"

#define FP_MAX_CONNS        128
#define FP_CHUNK_BYTES      16384
#define FP_MAX_QUEUED_BYTES (256 * 1024)
#define FP_MAX_POLL_MS      1000
#define FP_CLIENT           0
#define FP_UPSTREAM         1

static volatile sig_atomic_t fp_stop_requested;

struct fp_opts {
    int64_t port;
    int64_t upstream;
    int64_t delay_min_ms;
    int64_t delay_max_ms;
    int64_t drop_pct;
    int64_t reset_pct;
    int64_t reset_max_bytes;
    int64_t seed;
    int64_t max_seconds;
};

struct fp_stats {
    uint64_t accepted;
    uint64_t dropped;  /* closed at once on accept */
    uint64_t reset;    /* reset part-way through the upstream's reply */
    uint64_t refused;  /* the upstream refused the connection */
    uint64_t overflow; /* closed because FP_MAX_CONNS were open */
    uint64_t bytes_up;
    uint64_t bytes_down;
};

/* Bytes read from one side, waiting (until due_ms) to be written to the other. */
struct fp_chunk {
    struct fp_chunk *next;
    int64_t due_ms;
    size_t len;
    size_t off;
    char data[];
};

/* One direction of a connection: read from fd[i], written to fd[1 - i]. */
struct fp_dir {
    struct fp_chunk *head;
    struct fp_chunk *tail;
    size_t queued_bytes;
    int64_t last_due_ms; /* chunks keep their order whatever their delay */
    bool is_eof;         /* the reading side sent FIN */
    bool is_shut;        /* FIN passed on to the writing side */
};

struct fp_conn {
    bool is_used;
    int fd[2];
    struct fp_dir dir[2];
    bool is_awaiting_reply;     /* the client sent bytes since the upstream last did */
    bool will_reset;            /* the current reply is cut at reset_after_bytes */
    uint64_t reset_after_bytes; /* counted from the connection's first downstream byte */
    uint64_t down_read_bytes;   /* read from the upstream */
    uint64_t down_bytes;        /* written to the client */
};

struct fp_proxy {
    struct fp_opts opt;
    struct fp_stats st;
    uint64_t rng_conn;  /* drop or keep each new connection */
    uint64_t rng_reply; /* reset each reply or not, and where */
    uint64_t rng_delay; /* each chunk's delay */
    int listen_fd;
    struct fp_conn conns[FP_MAX_CONNS];
};

struct fp_flag {
    const char *name;
    size_t offset;
    int64_t min;
    int64_t max;
};

#define FP_OPT(f) offsetof(struct fp_opts, f)
static const struct fp_flag fp_flags[] = {
    {"--port", FP_OPT(port), 0, 65535},
    {"--upstream", FP_OPT(upstream), 1, 65535},
    {"--delay-min-ms", FP_OPT(delay_min_ms), 0, 60000},
    {"--delay-max-ms", FP_OPT(delay_max_ms), 0, 60000},
    {"--drop-pct", FP_OPT(drop_pct), 0, 100},
    {"--reset-pct", FP_OPT(reset_pct), 0, 100},
    {"--reset-max-bytes", FP_OPT(reset_max_bytes), 0, 1 << 20},
    {"--seed", FP_OPT(seed), 0, INT64_MAX},
    {"--max-seconds", FP_OPT(max_seconds), 1, 3600},
};

static void fp_on_signal(int sig)
{
    (void)sig;
    fp_stop_requested = 1;
}

/* xorshift64*: reproducible for a given --seed, independent of libc's rand(). */
static uint64_t fp_rand(uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 2685821657736338717ULL;
}

/* An integer in [lo, hi]. */
static int64_t fp_rand_between(uint64_t *state, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(fp_rand(state) % (uint64_t)(hi - lo + 1));
}

/* A non-zero xorshift state (0 stays 0 forever) per stream. */
static uint64_t fp_rand_seed(int64_t seed, uint64_t stream)
{
    uint64_t s = ((uint64_t)seed + stream) * 0x9E3779B97F4A7C15ULL;
    return s == 0 ? 1 : s;
}

static int fp_parse_args(int argc, char **argv, struct fp_opts *o, struct sw_err *err)
{
    *o = (struct fp_opts){.delay_max_ms = 0, .reset_max_bytes = 512, .seed = 1, .max_seconds = 120};
    for (int i = 1; i < argc; i += 2) {
        const struct fp_flag *f = NULL;
        for (size_t k = 0; k < sizeof fp_flags / sizeof fp_flags[0]; k++) {
            if (strcmp(argv[i], fp_flags[k].name) == 0) {
                f = &fp_flags[k];
            }
        }
        if (f == NULL) {
            return sw_err_set(err, SW_EINVAL, "unknown option '%s'", argv[i]);
        }
        if (i + 1 >= argc) {
            return sw_err_set(err, SW_EINVAL, "%s needs a value", f->name);
        }
        int64_t *dst = (int64_t *)(void *)((char *)o + f->offset);
        if (sw_parse_int64(argv[i + 1], f->min, f->max, f->name, dst, err) != 0) {
            return err->code;
        }
    }
    if (o->upstream == 0) {
        return sw_err_set(err, SW_EINVAL, "--upstream PORT is required");
    }
    if (o->delay_max_ms < o->delay_min_ms) {
        return sw_err_set(err, SW_EINVAL, "--delay-max-ms is below --delay-min-ms");
    }
    return 0;
}

static int fp_set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL, 0);
    return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

static struct sockaddr_in fp_loopback(int64_t port)
{
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

/* Listens on 127.0.0.1:--port (0: any free port); prints the bound port. */
static int fp_listen(struct fp_proxy *p, struct sw_err *err)
{
    struct sockaddr_in a = fp_loopback(p->opt.port);
    socklen_t len = sizeof a;
    int one = 1;
    p->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (p->listen_fd < 0) {
        return sw_err_set(err, SW_EIO, "socket: %s", strerror(errno));
    }
    if (setsockopt(p->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(p->listen_fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(p->listen_fd, 64) != 0 ||
        fp_set_nonblocking(p->listen_fd) != 0 ||
        getsockname(p->listen_fd, (struct sockaddr *)&a, &len) != 0) {
        return sw_err_set(err, SW_EIO, "cannot listen on 127.0.0.1:%" PRId64 ": %s", p->opt.port,
                          strerror(errno));
    }
    printf("%u\n", (unsigned)ntohs(a.sin_port));
    fflush(stdout);
    return 0;
}

static void fp_dir_cleanup(struct fp_dir *d)
{
    while (d->head != NULL) {
        struct fp_chunk *next = d->head->next;
        free(d->head);
        d->head = next;
    }
    *d = (struct fp_dir){0};
}

/* Closes both sides; is_reset sends RST (SO_LINGER 0) instead of FIN. */
static void fp_conn_close(struct fp_conn *c, bool is_reset)
{
    for (int i = 0; i < 2; i++) {
        if (is_reset) {
            struct linger lg = {.l_onoff = 1, .l_linger = 0};
            (void)setsockopt(c->fd[i], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        }
        close(c->fd[i]);
        fp_dir_cleanup(&c->dir[i]);
    }
    *c = (struct fp_conn){0};
}

static int fp_connect_upstream(const struct fp_proxy *p)
{
    struct sockaddr_in a = fp_loopback(p->opt.upstream);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return -1;
    }
    /* A blocking connect on loopback completes (or is refused) at once. */
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 || fp_set_nonblocking(fd) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static struct fp_conn *fp_free_slot(struct fp_proxy *p)
{
    for (size_t i = 0; i < FP_MAX_CONNS; i++) {
        if (!p->conns[i].is_used) {
            return &p->conns[i];
        }
    }
    return NULL;
}

/* One new client: dropped at once, or paired with a new upstream connection. */
static void fp_accept_one(struct fp_proxy *p, int cfd)
{
    p->st.accepted++;
    struct fp_conn *c = fp_free_slot(p);
    if (c == NULL) {
        p->st.overflow++;
        close(cfd);
        return;
    }
    if (fp_rand_between(&p->rng_conn, 1, 100) <= p->opt.drop_pct) {
        p->st.dropped++;
        close(cfd);
        return;
    }
    int ufd = fp_connect_upstream(p);
    if (ufd < 0 || fp_set_nonblocking(cfd) != 0) {
        p->st.refused++;
        close(cfd);
        if (ufd >= 0) {
            close(ufd);
        }
        return;
    }
    *c = (struct fp_conn){.is_used = true, .fd = {cfd, ufd}};
}

/* The upstream starts a reply: roll whether (and after how many bytes) it is cut. */
static void fp_reply_begins(struct fp_proxy *p, struct fp_conn *c)
{
    c->is_awaiting_reply = false;
    if (c->will_reset || fp_rand_between(&p->rng_reply, 1, 100) > p->opt.reset_pct) {
        return;
    }
    c->will_reset = true;
    c->reset_after_bytes =
        c->down_read_bytes + (uint64_t)fp_rand_between(&p->rng_reply, 0, p->opt.reset_max_bytes);
}

static void fp_accept_all(struct fp_proxy *p)
{
    for (;;) {
        int cfd = accept(p->listen_fd, NULL, NULL);
        if (cfd < 0) {
            return; /* EAGAIN, or a client gone before accept: poll again */
        }
        fp_accept_one(p, cfd);
    }
}

/* Reads what side i has into a delayed chunk. -1: the connection is broken. */
static int fp_read_side(struct fp_proxy *p, struct fp_conn *c, int i, int64_t now_ms)
{
    struct fp_dir *d = &c->dir[i];
    char buf[FP_CHUNK_BYTES];
    ssize_t n = recv(c->fd[i], buf, sizeof buf, 0);
    if (n < 0) {
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    }
    if (n == 0) {
        d->is_eof = true;
        return 0;
    }
    struct fp_chunk *ch = malloc(sizeof *ch + (size_t)n);
    if (ch == NULL) {
        return -1;
    }
    if (i == FP_CLIENT) {
        c->is_awaiting_reply = true;
    } else {
        if (c->is_awaiting_reply) {
            fp_reply_begins(p, c);
        }
        c->down_read_bytes += (uint64_t)n;
    }
    int64_t due = now_ms + fp_rand_between(&p->rng_delay, p->opt.delay_min_ms, p->opt.delay_max_ms);
    d->last_due_ms = due > d->last_due_ms ? due : d->last_due_ms;
    *ch = (struct fp_chunk){.due_ms = d->last_due_ms, .len = (size_t)n};
    memcpy(ch->data, buf, (size_t)n);
    if (d->tail != NULL) {
        d->tail->next = ch;
    } else {
        d->head = ch;
    }
    d->tail = ch;
    d->queued_bytes += (size_t)n;
    return 0;
}

/* How many bytes of the head chunk may go out; 0 with data pending downstream = reset. */
static size_t fp_allowance(const struct fp_conn *c, int from, size_t len)
{
    if (from != FP_UPSTREAM || !c->will_reset) {
        return len;
    }
    uint64_t left = c->reset_after_bytes - c->down_bytes;
    return left < len ? (size_t)left : len;
}

/* Writes the due chunks of direction `from`. 1: reset the connection; -1: broken. */
static int fp_flush_dir(struct fp_proxy *p, struct fp_conn *c, int from, int64_t now_ms)
{
    struct fp_dir *d = &c->dir[from];
    int to = 1 - from;
    while (d->head != NULL && d->head->due_ms <= now_ms) {
        struct fp_chunk *ch = d->head;
        size_t len = fp_allowance(c, from, ch->len - ch->off);
        if (len == 0) {
            return 1;
        }
        ssize_t n = send(c->fd[to], ch->data + ch->off, len, MSG_NOSIGNAL);
        if (n < 0) {
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
        }
        ch->off += (size_t)n;
        d->queued_bytes -= (size_t)n;
        if (from == FP_UPSTREAM) {
            c->down_bytes += (uint64_t)n;
            p->st.bytes_down += (uint64_t)n;
        } else {
            p->st.bytes_up += (uint64_t)n;
        }
        if (ch->off < ch->len) {
            continue;
        }
        d->head = ch->next;
        d->tail = d->head == NULL ? NULL : d->tail;
        free(ch);
    }
    if (d->head == NULL && d->is_eof && !d->is_shut) {
        (void)shutdown(c->fd[to], SHUT_WR);
        d->is_shut = true;
    }
    return 0;
}

/* Moves what is due both ways; closes the connection when done, broken or reset. */
static void fp_conn_pump(struct fp_proxy *p, struct fp_conn *c, int64_t now_ms)
{
    for (int from = 0; from < 2; from++) {
        int rc = fp_flush_dir(p, c, from, now_ms);
        if (rc == 1) {
            p->st.reset++;
            fp_conn_close(c, true);
            return;
        }
        if (rc < 0) {
            fp_conn_close(c, false);
            return;
        }
    }
    if (c->dir[0].is_shut && c->dir[1].is_shut) {
        fp_conn_close(c, false);
    }
}

struct fp_poll_set {
    struct pollfd pfd[1 + 2 * FP_MAX_CONNS];
    struct fp_conn *conn[1 + 2 * FP_MAX_CONNS];
    int side[1 + 2 * FP_MAX_CONNS];
    nfds_t n;
};

/* The poll set and its timeout: the next due chunk, the deadline, or FP_MAX_POLL_MS. */
static int fp_poll_prepare(struct fp_proxy *p, struct fp_poll_set *s, int64_t now_ms,
                           int64_t deadline_ms)
{
    int64_t wake_ms = deadline_ms < now_ms + FP_MAX_POLL_MS ? deadline_ms : now_ms + FP_MAX_POLL_MS;
    s->pfd[0] = (struct pollfd){.fd = p->listen_fd, .events = POLLIN};
    s->n = 1;
    for (size_t k = 0; k < FP_MAX_CONNS; k++) {
        struct fp_conn *c = &p->conns[k];
        if (!c->is_used) {
            continue;
        }
        for (int i = 0; i < 2; i++) {
            const struct fp_dir *in = &c->dir[i];
            const struct fp_dir *out = &c->dir[1 - i];
            short ev = 0;
            if (!in->is_eof && in->queued_bytes < FP_MAX_QUEUED_BYTES) {
                ev |= POLLIN;
            }
            if (out->head != NULL && out->head->due_ms <= now_ms) {
                ev |= POLLOUT;
            } else if (out->head != NULL && out->head->due_ms < wake_ms) {
                wake_ms = out->head->due_ms;
            }
            /* A side that sent FIN and has nothing due stays out: no busy wake-ups. */
            int fd = ev == 0 && in->is_eof ? -1 : c->fd[i];
            s->pfd[s->n] = (struct pollfd){.fd = fd, .events = ev};
            s->conn[s->n] = c;
            s->side[s->n] = i;
            s->n++;
        }
    }
    return wake_ms > now_ms ? (int)(wake_ms - now_ms) : 0;
}

static void fp_run(struct fp_proxy *p)
{
    static struct fp_poll_set s; /* large: kept off the stack */
    int64_t deadline_ms = sw_clock_mono_ms() + p->opt.max_seconds * 1000;
    while (!fp_stop_requested) {
        int64_t now_ms = sw_clock_mono_ms();
        if (now_ms >= deadline_ms) {
            break;
        }
        int timeout_ms = fp_poll_prepare(p, &s, now_ms, deadline_ms);
        if (poll(s.pfd, s.n, timeout_ms) < 0 && errno != EINTR) {
            fprintf(stderr, "sw_faultproxy: poll: %s\n", strerror(errno));
            break;
        }
        now_ms = sw_clock_mono_ms();
        for (nfds_t k = 1; k < s.n; k++) {
            struct fp_conn *c = s.conn[k];
            if (c->is_used && (s.pfd[k].revents & (POLLIN | POLLHUP | POLLERR)) != 0 &&
                fp_read_side(p, c, s.side[k], now_ms) != 0) {
                fp_conn_close(c, false);
            }
        }
        for (size_t k = 0; k < FP_MAX_CONNS; k++) {
            if (p->conns[k].is_used) {
                fp_conn_pump(p, &p->conns[k], now_ms);
            }
        }
        if ((s.pfd[0].revents & POLLIN) != 0) {
            fp_accept_all(p);
        }
    }
}

int main(int argc, char **argv)
{
    static struct fp_proxy p; /* large: kept off the stack */
    struct sw_err err = {0};
    struct sigaction sa = {0};
    sa.sa_handler = fp_on_signal;
    sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGTERM, &sa, NULL);
    (void)sigaction(SIGINT, &sa, NULL);
    (void)signal(SIGPIPE, SIG_IGN);
    if (fp_parse_args(argc, argv, &p.opt, &err) != 0 || fp_listen(&p, &err) != 0) {
        fprintf(stderr, "sw_faultproxy: %s\n", err.msg);
        return 2;
    }
    p.rng_conn = fp_rand_seed(p.opt.seed, 1);
    p.rng_reply = fp_rand_seed(p.opt.seed, 2);
    p.rng_delay = fp_rand_seed(p.opt.seed, 3);
    fp_run(&p);
    for (size_t k = 0; k < FP_MAX_CONNS; k++) {
        if (p.conns[k].is_used) {
            fp_conn_close(&p.conns[k], false);
        }
    }
    close(p.listen_fd);
    printf("faultproxy: accepted=%" PRIu64 " dropped=%" PRIu64 " reset=%" PRIu64 " refused=%" PRIu64
           " overflow=%" PRIu64 " bytes_up=%" PRIu64 " bytes_down=%" PRIu64 "\n",
           p.st.accepted, p.st.dropped, p.st.reset, p.st.refused, p.st.overflow, p.st.bytes_up,
           p.st.bytes_down);
    return 0;
}
