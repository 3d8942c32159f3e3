/*
 * A line scanner for the built-in access-log formats: common, combined and vhost_combined.
 *
 * It reads a block of complete lines. For each line it takes, it writes the fields as Arrow
 * string views into the block and the timestamp as UTC epoch seconds. It takes a line only
 * when the line is printable ASCII without backslashes and has exactly the layout that
 * etl/log_fast.py's QUOTE_SPLIT_CHECKS and CLF_TIME_PATTERN accept. Every other line is
 * listed for the Python parser, which gives it a row or a rejection with its reason, so the
 * scanner may leave more lines to Python than it must, never fewer.
 *
 * Built by etl/log_native.py with the system C compiler and called through ctypes, which
 * releases the GIL for the call.
 */

#include <math.h>
#include <stdint.h>
#include <string.h>

enum { COMMON = 0, COMBINED = 1, VHOST_COMBINED = 2 };

/* Output fields, in the order of etl/log_native.py's FIELDS; the visitor id is computed. */
enum { CLIENT, HOST, METHOD, PATH, QUERY, STATUS, REFERRER, AGENT, VISITOR, FIELD_COUNT };

/* Byte classes: the bytes that end a run of each kind of field. */
enum {
    END_CLIENT = 1,  /* space " , [ ] */
    END_WORD = 2,    /* space " [ ]: ident and user */
    END_HOST = 4,    /* space " : [ ] */
    END_PATH = 8,    /* space ? # " */
    END_QUERY = 16,  /* space # " */
    END_BYTES = 32,  /* space " */
};

static const uint8_t ENDS[256] = {
    [' '] = END_CLIENT | END_WORD | END_HOST | END_PATH | END_QUERY | END_BYTES,
    ['"'] = END_CLIENT | END_WORD | END_HOST | END_PATH | END_QUERY | END_BYTES,
    [','] = END_CLIENT,
    ['['] = END_CLIENT | END_WORD | END_HOST,
    [']'] = END_CLIENT | END_WORD | END_HOST,
    [':'] = END_HOST,
    ['?'] = END_PATH,
    ['#'] = END_PATH | END_QUERY,
};

typedef struct {
    const uint8_t *start;
    int64_t size;
} span;

typedef struct {
    const uint8_t *at;
    const uint8_t *end;
} cursor;

static int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

static int is_letter(uint8_t c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

/* Printable ASCII (0x20 to 0x7f) without a backslash: what the fast path may read. */
static int is_plain(const uint8_t *p, const uint8_t *end) {
    unsigned bad = 0;
    for (; p < end; p++) {
        uint8_t c = *p;
        bad |= (c < 0x20) | (c >= 0x80) | (c == '\\');
    }
    return !bad;
}

static int take(cursor *c, uint8_t expected) {
    if (c->at < c->end && *c->at == expected) {
        c->at++;
        return 1;
    }
    return 0;
}

static span run_until(cursor *c, uint8_t ends) {
    span s = {c->at, 0};
    while (c->at < c->end && !(ENDS[*c->at] & ends)) c->at++;
    s.size = c->at - s.start;
    return s;
}

/* The client: `[^\s",\[\]]+(?:,[^\s",\[\]]+)*`, an X-Forwarded-For list without spaces. */
static int take_client(cursor *c, span *client) {
    client->start = c->at;
    do {
        if (run_until(c, END_CLIENT).size == 0) return 0;
    } while (take(c, ','));
    client->size = c->at - client->start;
    return 1;
}

/* `host:port ` of vhost_combined, the port digits or `-`. */
static int take_vhost(cursor *c, span *host) {
    *host = run_until(c, END_HOST);
    if (host->size == 0 || !take(c, ':')) return 0;
    if (!take(c, '-')) {
        const uint8_t *digits = c->at;
        while (c->at < c->end && is_digit(*c->at)) c->at++;
        if (c->at == digits) return 0;
    }
    return take(c, ' ');
}

static int number(const uint8_t *p, int digits) {
    int value = 0;
    for (int i = 0; i < digits; i++) {
        if (!is_digit(p[i])) return -1;
        value = value * 10 + (p[i] - '0');
    }
    return value;
}

static int month_number(const uint8_t *p) {
    static const char NAMES[] = "janfebmaraprmayjunjulaugsepoctnovdec";
    if (!is_letter(p[0]) || !is_letter(p[1]) || !is_letter(p[2])) return 0;
    uint8_t lower[3] = {p[0] | 0x20, p[1] | 0x20, p[2] | 0x20};
    for (int month = 0; month < 12; month++) {
        if (memcmp(NAMES + 3 * month, lower, 3) == 0) return month + 1;
    }
    return 0;
}

static int is_leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

static int days_in_month(int year, int month) {
    static const int DAYS[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return DAYS[month - 1] + (month == 2 && is_leap(year));
}

/* Days from 1970-01-01 to the date, proleptic Gregorian, as Python's toordinal counts. */
static int64_t days_since_1970(int year, int month, int day) {
    static const int BEFORE[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    int64_t past = year - 1;
    int64_t days = past * 365 + past / 4 - past / 100 + past / 400;
    days += BEFORE[month - 1] + (month > 2 && is_leap(year)) + day - 1;
    return days - 719162; /* days from 0001-01-01 to 1970-01-01 */
}

/*
 * `[dd/Mon/yyyy:HH:MM:SS +hhmm] ` to UTC epoch seconds. Stricter than strptime, as
 * CLF_TIME_PATTERN is: two-digit day, four-digit year other than 0000, hour 00-23, minute
 * and second 00-59, offset up to 14 hours, and the day must exist in its month. Years 0001
 * and 9999 go to the Python path, which rejects times within a day of the calendar's ends.
 */
static int take_time(cursor *c, int64_t *epoch) {
    const uint8_t *p = c->at;
    if (c->end - p < 29 || p[0] != '[' || p[27] != ']' || p[28] != ' ') return 0;
    p++;
    if (p[2] != '/' || p[6] != '/' || p[11] != ':' || p[14] != ':' || p[17] != ':') return 0;
    if (p[20] != ' ' || (p[21] != '+' && p[21] != '-')) return 0;

    int day = number(p, 2), month = month_number(p + 3), year = number(p + 7, 4);
    int hour = number(p + 12, 2), minute = number(p + 15, 2), second = number(p + 18, 2);
    int offset_hours = number(p + 22, 2), offset_minutes = number(p + 24, 2);
    if (month == 0 || year < 2 || year > 9998 || day < 1 || day > days_in_month(year, month)) {
        return 0;
    }
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return 0;
    if (offset_hours < 0 || offset_hours > 14 || offset_minutes < 0 || offset_minutes > 59) {
        return 0;
    }

    int64_t offset = offset_hours * 3600 + offset_minutes * 60;
    if (p[21] == '-') offset = -offset;
    *epoch = days_since_1970(year, month, day) * 86400 + hour * 3600 + minute * 60 + second -
             offset;
    c->at += 29;
    return 1;
}

/* `"METHOD /path[?query][ HTTP/x.y] *"`, then ` status bytes`. */
static int take_request(cursor *c, span *fields) {
    if (!take(c, '"')) return 0;
    fields[METHOD].start = c->at;
    while (c->at < c->end && is_letter(*c->at)) c->at++;
    fields[METHOD].size = c->at - fields[METHOD].start;
    if (fields[METHOD].size == 0 || !take(c, ' ') || c->at == c->end || *c->at != '/') return 0;

    fields[PATH] = run_until(c, END_PATH);
    fields[QUERY] = (span){c->at, 0};
    if (take(c, '?')) fields[QUERY] = run_until(c, END_QUERY);
    if (c->end - c->at > 6 && memcmp(c->at, " HTTP/", 6) == 0 &&
        (is_digit(c->at[6]) || c->at[6] == '.')) {
        c->at += 6;
        while (c->at < c->end && (is_digit(*c->at) || *c->at == '.')) c->at++;
    }
    while (take(c, ' ')) {
    }
    if (!take(c, '"') || !take(c, ' ')) return 0;

    fields[STATUS].start = c->at;
    if (take(c, '-')) {
        fields[STATUS].size = 1;
    } else {
        if (c->end - c->at < 3 || number(c->at, 3) < 0) return 0;
        c->at += 3;
        fields[STATUS].size = 3;
    }
    if (!take(c, ' ')) return 0;
    run_until(c, END_BYTES);
    return 1;
}

/* ` "referrer" "agent"`, then the line's end or a space and anything. */
static int take_referrer_agent(cursor *c, span *fields) {
    if (!take(c, ' ') || !take(c, '"')) return 0;
    const uint8_t *close = memchr(c->at, '"', c->end - c->at);
    if (close == NULL) return 0;
    fields[REFERRER] = (span){c->at, close - c->at};
    c->at = close + 1;

    if (!take(c, ' ') || !take(c, '"')) return 0;
    close = memchr(c->at, '"', c->end - c->at);
    if (close == NULL) return 0;
    fields[AGENT] = (span){c->at, close - c->at};
    c->at = close + 1;
    return c->at == c->end || *c->at == ' ';
}

static int scan_line(cursor c, int format, span *fields, int64_t *epoch) {
    static const uint8_t DASH[] = "-";
    fields[HOST] = (span){c.at, 0};
    if (format == VHOST_COMBINED && !take_vhost(&c, &fields[HOST])) return 0;
    if (!take_client(&c, &fields[CLIENT]) || !take(&c, ' ')) return 0;
    for (int word = 0; word < 2; word++) {
        run_until(&c, END_WORD);
        if (!take(&c, ' ')) return 0;
    }
    if (!take_time(&c, epoch) || !take_request(&c, fields)) return 0;

    if (format != COMMON) return take_referrer_agent(&c, fields);
    fields[REFERRER] = (span){DASH, 1};
    fields[AGENT] = (span){DASH, 0};
    while (take(&c, ' ')) {
    }
    return c.at == c.end;
}

/*
 * MD5 (RFC 1321), for visitor ids that equal those of the Python parser and of DuckDB's
 * md5(): the first 16 hex digits of md5(client + " " + agent). Each MD5 step waits for the
 * one before, so ids are computed two at a time where both messages are short: the steps of
 * two messages interleave, which measured about a quarter less time per line here.
 */
typedef struct {
    uint32_t state[4];
    uint8_t buffer[64];
    uint64_t size;
} md5_context;

static uint32_t MD5_SINES[64];
static const uint32_t MD5_START[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};

static void md5_prepare(void) {
    for (int i = 0; i < 64; i++) MD5_SINES[i] = (uint32_t)floor(fabs(sin(i + 1.0)) * 4294967296.0);
}

#define ROTATE(x, n) (((x) << (n)) | ((x) >> (32 - (n))))
#define MIX_F(b, c, d) (((b) & (c)) | (~(b) & (d)))
#define MIX_G(b, c, d) (((b) & (d)) | ((c) & ~(d)))
#define MIX_H(b, c, d) ((b) ^ (c) ^ (d))
#define MIX_I(b, c, d) ((c) ^ ((b) | ~(d)))

/* One step on one message (words w) or on two (words w1, w2; variables a1.. and a2..). */
#define STEP_ONE(mix, a, b, c, d, k, shift, i)      \
    a += mix(b, c, d) + w[k] + MD5_SINES[i];        \
    a = b + ROTATE(a, shift)
#define STEP_TWO(mix, a, b, c, d, k, shift, i)                  \
    a##1 += mix(b##1, c##1, d##1) + w1[k] + MD5_SINES[i];       \
    a##2 += mix(b##2, c##2, d##2) + w2[k] + MD5_SINES[i];       \
    a##1 = b##1 + ROTATE(a##1, shift);                          \
    a##2 = b##2 + ROTATE(a##2, shift)

/* The 64 steps of one chunk, in four rounds of sixteen. */
#define ROUNDS(step)                                                  \
    for (int i = 0; i < 16; i += 4) {                                 \
        step(MIX_F, a, b, c, d, i, 7, i);                             \
        step(MIX_F, d, a, b, c, i + 1, 12, i + 1);                    \
        step(MIX_F, c, d, a, b, i + 2, 17, i + 2);                    \
        step(MIX_F, b, c, d, a, i + 3, 22, i + 3);                    \
    }                                                                 \
    for (int i = 16; i < 32; i += 4) {                                \
        step(MIX_G, a, b, c, d, (5 * i + 1) & 15, 5, i);              \
        step(MIX_G, d, a, b, c, (5 * i + 6) & 15, 9, i + 1);          \
        step(MIX_G, c, d, a, b, (5 * i + 11) & 15, 14, i + 2);        \
        step(MIX_G, b, c, d, a, (5 * i + 16) & 15, 20, i + 3);        \
    }                                                                 \
    for (int i = 32; i < 48; i += 4) {                                \
        step(MIX_H, a, b, c, d, (3 * i + 5) & 15, 4, i);              \
        step(MIX_H, d, a, b, c, (3 * i + 8) & 15, 11, i + 1);         \
        step(MIX_H, c, d, a, b, (3 * i + 11) & 15, 16, i + 2);        \
        step(MIX_H, b, c, d, a, (3 * i + 14) & 15, 23, i + 3);        \
    }                                                                 \
    for (int i = 48; i < 64; i += 4) {                                \
        step(MIX_I, a, b, c, d, (7 * i) & 15, 6, i);                  \
        step(MIX_I, d, a, b, c, (7 * i + 7) & 15, 10, i + 1);         \
        step(MIX_I, c, d, a, b, (7 * i + 14) & 15, 15, i + 2);        \
        step(MIX_I, b, c, d, a, (7 * i + 21) & 15, 21, i + 3);        \
    }

static void load_words(uint32_t *w, const uint8_t *chunk) {
    for (int i = 0; i < 16; i++) {
        const uint8_t *p = chunk + 4 * i;
        w[i] = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    }
}

static void md5_chunk(uint32_t *state, const uint8_t *chunk) {
    uint32_t w[16];
    load_words(w, chunk);
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    ROUNDS(STEP_ONE)
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
}

static void md5_chunk_pair(uint32_t *state1, const uint8_t *chunk1, uint32_t *state2,
                           const uint8_t *chunk2) {
    uint32_t w1[16], w2[16];
    load_words(w1, chunk1);
    load_words(w2, chunk2);
    uint32_t a1 = state1[0], b1 = state1[1], c1 = state1[2], d1 = state1[3];
    uint32_t a2 = state2[0], b2 = state2[1], c2 = state2[2], d2 = state2[3];
    ROUNDS(STEP_TWO)
    state1[0] += a1;
    state1[1] += b1;
    state1[2] += c1;
    state1[3] += d1;
    state2[0] += a2;
    state2[1] += b2;
    state2[2] += c2;
    state2[3] += d2;
}

static void md5_start(md5_context *m) {
    memcpy(m->state, MD5_START, sizeof MD5_START);
    m->size = 0;
}

static void md5_add(md5_context *m, const uint8_t *p, int64_t size) {
    while (size > 0) {
        int64_t used = (int64_t)(m->size % 64), room = 64 - used;
        int64_t step = size < room ? size : room;
        if (used == 0 && size >= 64) {
            md5_chunk(m->state, p);
            step = 64;
        } else {
            memcpy(m->buffer + used, p, (size_t)step);
            if (used + step == 64) md5_chunk(m->state, m->buffer);
        }
        m->size += (uint64_t)step;
        p += step;
        size -= step;
    }
}

static void md5_finish(md5_context *m) {
    static const uint8_t PAD[64] = {0x80};
    uint64_t bits = m->size * 8;
    uint8_t length[8];
    for (int i = 0; i < 8; i++) length[i] = (uint8_t)(bits >> (8 * i));
    int64_t used = (int64_t)(m->size % 64);
    md5_add(m, PAD, used < 56 ? 56 - used : 120 - used);
    md5_add(m, length, 8);
}

/* Writes the first 8 bytes of the digest in `state` as 16 lowercase hex digits. */
static void put_hex16(const uint32_t *state, uint8_t *out) {
    static const char HEX[] = "0123456789abcdef";
    for (int i = 0; i < 8; i++) {
        uint8_t byte = (uint8_t)(state[i / 4] >> (8 * (i % 4)));
        out[2 * i] = HEX[byte >> 4];
        out[2 * i + 1] = HEX[byte & 15];
    }
}

/* The message of a visitor id: the client's first address (up to a comma of an
 * X-Forwarded-For list), a space and the agent. */
typedef struct {
    span client, agent;
} visitor_key;

static visitor_key make_key(span client, span agent) {
    const uint8_t *comma = memchr(client.start, ',', (size_t)client.size);
    if (comma != NULL) client.size = comma - client.start;
    return (visitor_key){client, agent};
}

enum { PAIR_CHUNKS = 4 };

/* Writes the key's message with MD5's padding to `out`; returns its number of 64-byte chunks,
 * or 0 when it needs more than PAIR_CHUNKS. */
static int64_t padded_message(visitor_key key, uint8_t *out) {
    int64_t size = key.client.size + 1 + key.agent.size;
    int64_t chunks = (size + 72) / 64; /* room for the 0x80 byte and the 8-byte length */
    if (chunks > PAIR_CHUNKS) return 0;

    memcpy(out, key.client.start, (size_t)key.client.size);
    out[key.client.size] = ' ';
    memcpy(out + key.client.size + 1, key.agent.start, (size_t)key.agent.size);
    out[size] = 0x80;
    memset(out + size + 1, 0, (size_t)(chunks * 64 - size - 9));
    uint64_t bits = (uint64_t)size * 8;
    for (int i = 0; i < 8; i++) out[chunks * 64 - 8 + i] = (uint8_t)(bits >> (8 * i));
    return chunks;
}

static void put_visitor(visitor_key key, uint8_t *out) {
    md5_context m;
    md5_start(&m);
    md5_add(&m, key.client.start, key.client.size);
    md5_add(&m, (const uint8_t *)" ", 1);
    md5_add(&m, key.agent.start, key.agent.size);
    md5_finish(&m);
    put_hex16(m.state, out);
}

/* Writes the visitor ids of two keys, both at once where both messages are short. */
static void put_visitor_pair(visitor_key key1, uint8_t *out1, visitor_key key2, uint8_t *out2) {
    uint8_t message1[PAIR_CHUNKS * 64], message2[PAIR_CHUNKS * 64];
    int64_t chunks1 = padded_message(key1, message1);
    int64_t chunks2 = padded_message(key2, message2);
    if (chunks1 == 0 || chunks2 == 0) {
        put_visitor(key1, out1);
        put_visitor(key2, out2);
        return;
    }

    uint32_t state1[4], state2[4];
    memcpy(state1, MD5_START, sizeof MD5_START);
    memcpy(state2, MD5_START, sizeof MD5_START);
    int64_t both = chunks1 < chunks2 ? chunks1 : chunks2;
    for (int64_t i = 0; i < both; i++) {
        md5_chunk_pair(state1, message1 + 64 * i, state2, message2 + 64 * i);
    }
    for (int64_t i = both; i < chunks1; i++) md5_chunk(state1, message1 + 64 * i);
    for (int64_t i = both; i < chunks2; i++) md5_chunk(state2, message2 + 64 * i);
    put_hex16(state1, out1);
    put_hex16(state2, out2);
}

/* One Arrow string view (16 bytes): inline up to 12 bytes, else prefix and buffer offset. */
static void put_view(uint8_t *out, span s, int32_t buffer, const uint8_t *data) {
    int32_t size = (int32_t)s.size;
    memset(out, 0, 16);
    memcpy(out, &size, 4);
    if (size <= 12) {
        memcpy(out + 4, s.start, (size_t)size);
        return;
    }
    int32_t offset = (int32_t)(s.start - data);
    memcpy(out + 4, s.start, 4);
    memcpy(out + 8, &buffer, 4);
    memcpy(out + 12, &offset, 4);
}

/* Writes the view of a row's visitor id, once the id is in `ids` (buffer 1). */
static void put_visitor_view(uint8_t *views, int64_t capacity, const uint8_t *ids, int64_t row) {
    span id = {ids + 16 * row, 16};
    put_view(views + 16 * (VISITOR * capacity + row), id, 1, ids);
}

/* Fills the table of MD5's sine constants; call once before the first scan. */
void log_scan_prepare(void) { md5_prepare(); }

/*
 * Scans `size` bytes of complete lines (each ends with a newline, at most 2 GiB in all).
 * `capacity` is the number of lines. For each line taken as a row it writes the line's index
 * (`rows`), its epoch and its visitor id (16 hex digits at ids + 16 * row). It also writes
 * the row's FIELD_COUNT views at views + 16 * (field * capacity + row), which point into
 * `data` (buffer 0) or `ids` (buffer 1). For each other line it writes the index to `slow`. `starts` receives each
 * line's start and, last, the end of the last line. Returns the number of rows and sets
 * `slow_count` to the number of other lines.
 */
int64_t log_scan_block(const uint8_t *data, int64_t size, int32_t format, int64_t capacity,
                       uint8_t *views, int64_t *epochs, uint8_t *ids, int64_t *rows,
                       int64_t *slow, int64_t *slow_count, int64_t *starts) {
    int64_t line = 0, taken = 0, left = 0;
    const uint8_t *at = data, *end = data + size;
    span fields[FIELD_COUNT];

    /* A row whose visitor id waits for the next row's, so the two are computed as a pair. */
    visitor_key waiting = {{data, 0}, {data, 0}};
    int64_t waiting_row = -1;

    while (at < end && line < capacity) {
        const uint8_t *newline = memchr(at, '\n', (size_t)(end - at));
        if (newline == NULL) break;
        starts[line] = at - data;

        cursor c = {at, newline};
        if (is_plain(at, newline) && scan_line(c, format, fields, &epochs[taken])) {
            for (int field = 0; field < VISITOR; field++) {
                put_view(views + 16 * (field * capacity + taken), fields[field], 0, data);
            }

            visitor_key key = make_key(fields[CLIENT], fields[AGENT]);
            if (waiting_row < 0) {
                waiting = key;
                waiting_row = taken;
            } else {
                put_visitor_pair(waiting, ids + 16 * waiting_row, key, ids + 16 * taken);
                put_visitor_view(views, capacity, ids, waiting_row);
                put_visitor_view(views, capacity, ids, taken);
                waiting_row = -1;
            }
            rows[taken++] = line;
        } else {
            slow[left++] = line;
        }
        at = newline + 1;
        line++;
    }

    if (waiting_row >= 0) {
        put_visitor(waiting, ids + 16 * waiting_row);
        put_visitor_view(views, capacity, ids, waiting_row);
    }
    starts[line] = at - data;
    *slow_count = left;
    return taken;
}
