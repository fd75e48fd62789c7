/*
 * civicledger.merkle._native: the per-event hashing of SHA-256 ledgers, one call each.
 *
 * Every append and every verify computes, per event, leaf format v2's payload
 * digest (for each top-level payload field an HMAC, the field salt, and a SHA-256,
 * the field digest; then a SHA-256 over the sorted digests) and the leaf hash of the
 * event's envelope (docs/hashing.md). In Python that is a dozen interpreter-level
 * calls per field and a dict, an encoder call and a hash per envelope: as much time
 * as a whole append of the general-purpose peer. Here each is one call. The hashing
 * itself is OpenSSL's, the library Python's hashlib uses.
 *
 * payload_digest_sha256 works on the canonical (RFC 8785) payload text rather than
 * on the decoded object: canonical JSON is compositional, so each member's value text
 * in the canonical object *is* the canonical encoding of that value, and a disclosure
 * ["salt", "name", value] can be hashed from slices of the payload without encoding
 * anything. That only holds for text that is canonical, so the text is checked for
 * exactly that first (sorted unique keys, RFC 8785 string escapes, valid UTF-8,
 * integers within +-(2**53 - 1), no floats, no white space).
 *
 * envelope_leaf_sha256 writes the envelope's canonical bytes from its members and
 * hashes them as a leaf. It takes the stored date and timestamp texts only in the one
 * form the Python path writes back unchanged.
 *
 * fold_sha256 adds leaves to a frontier (the tree's perfect-subtree hashes, largest
 * first), merging as a binary counter carries, and hands back the nodes they completed
 * at the levels the store keeps as tiles: one to two node hashes per leaf, each a Python
 * call and a concatenation otherwise.
 *
 * intact_leaves_sha256 is verify()'s check of a run of stored rows that are intact (the
 * digest from the payload, the leaf from the envelope, both equal to the stored ones),
 * straight from the driver's tuples: per row, a UUID object and a StoredRow built only
 * to be hashed cost more than the hashing.
 *
 * All four return None for input they do not handle (the run ends at such a row), and
 * the caller takes the pure-Python path, which either computes the same bytes or raises
 * the error that names the problem: this module never decides that an event is
 * invalid, only that it can hash it. The pure-Python path stays the reference: the differential tests hold this
 * module to it byte for byte.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <datetime.h>
#include <stdint.h>
#include <string.h>

/* SHA256_Init and friends are marked deprecated in OpenSSL 3 in favour of EVP, but
 * they are still part of its API; they are used because a SHA256_CTX is a plain
 * struct that is copied by assignment, where copying an EVP context allocates. The
 * HMAC below copies two prepared contexts per field. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#define DIGEST_SIZE 32
#define BLOCK_SIZE 64
#define SALT_SIZE 16
#define MAX_DEPTH 64
#define MAX_SAFE_INTEGER 9007199254740991ULL

typedef struct {
    const unsigned char *p;
    const unsigned char *end;
} Cursor;

/* ---- the canonical-JSON check ------------------------------------------------ */

static int value_is_canonical(Cursor *c, int depth);

/* A string token at c->p (its opening quote). Accepts exactly what RFC 8785 writes:
 * literal UTF-8 (valid, no surrogates) except the quote, the backslash and control
 * characters; those as \" \\ \b \f \n \r \t, the other controls as \u00xx in lower
 * case. Leaves c->p after the closing quote. Returns 0, or -1 when not canonical. */
static int string_is_canonical(Cursor *c)
{
    const unsigned char *p = c->p + 1, *end = c->end;
    while (p < end) {
        unsigned char b = *p;
        if (b == '"') {
            c->p = p + 1;
            return 0;
        }
        if (b == '\\') {
            if (end - p < 2) {
                return -1;
            }
            switch (p[1]) {
            case '"': case '\\': case 'b': case 'f': case 'n': case 'r': case 't':
                p += 2;
                continue;
            case 'u': {
                if (end - p < 6 || p[2] != '0' || p[3] != '0' || (p[4] != '0' && p[4] != '1')) {
                    return -1;
                }
                int low;
                if (p[5] >= '0' && p[5] <= '9') {
                    low = p[5] - '0';
                } else if (p[5] >= 'a' && p[5] <= 'f') {
                    low = p[5] - 'a' + 10;
                } else {
                    return -1;
                }
                int code = (p[4] - '0') * 16 + low;
                if (code == 0x08 || code == 0x09 || code == 0x0a || code == 0x0c || code == 0x0d) {
                    return -1; /* these have short escapes */
                }
                p += 6;
                continue;
            }
            default:
                return -1;
            }
        }
        if (b < 0x20) {
            return -1;
        }
        if (b < 0x80) {
            p++;
            continue;
        }
        int more;
        uint32_t cp;
        if (b >= 0xC2 && b <= 0xDF) {
            more = 1;
            cp = b & 0x1F;
        } else if (b >= 0xE0 && b <= 0xEF) {
            more = 2;
            cp = b & 0x0F;
        } else if (b >= 0xF0 && b <= 0xF4) {
            more = 3;
            cp = b & 0x07;
        } else {
            return -1;
        }
        if (end - p <= more) {
            return -1;
        }
        for (int i = 1; i <= more; i++) {
            if ((p[i] & 0xC0) != 0x80) {
                return -1;
            }
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if ((more == 2 && cp < 0x800) || (more == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF)) {
            return -1;
        }
        p += more + 1;
    }
    return -1;
}

/* The next code point of a string token's body that string_is_canonical accepted. */
static uint32_t next_code_point(const unsigned char **at)
{
    const unsigned char *p = *at;
    uint32_t cp;
    if (*p == '\\') {
        switch (p[1]) {
        case 'b': cp = 0x08; break;
        case 'f': cp = 0x0c; break;
        case 'n': cp = 0x0a; break;
        case 'r': cp = 0x0d; break;
        case 't': cp = 0x09; break;
        case 'u':
            cp = (uint32_t)((p[4] - '0') * 16 + (p[5] <= '9' ? p[5] - '0' : p[5] - 'a' + 10));
            *at = p + 6;
            return cp;
        default: cp = p[1]; break; /* \" and \\ */
        }
        *at = p + 2;
        return cp;
    }
    if (*p < 0x80) {
        *at = p + 1;
        return *p;
    }
    int more = *p >= 0xF0 ? 3 : *p >= 0xE0 ? 2 : 1;
    cp = *p & (0x3F >> more);
    for (int i = 1; i <= more; i++) {
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    *at = p + more + 1;
    return cp;
}

/* RFC 8785 orders keys by their UTF-16 code units: a code point above U+FFFF sorts
 * as its high surrogate, below U+E000..U+FFFF. */
static uint32_t utf16_rank(uint32_t cp)
{
    return cp < 0x10000 ? cp : 0xD800 + ((cp - 0x10000) >> 10);
}

/* Compare two accepted string tokens (from quote to quote) in RFC 8785 key order. */
static int compare_keys(const unsigned char *a, const unsigned char *a_end,
                        const unsigned char *b, const unsigned char *b_end)
{
    a++, b++;
    a_end--, b_end--; /* inside the quotes */
    while (a < a_end && b < b_end) {
        uint32_t x = next_code_point(&a), y = next_code_point(&b);
        if (x != y) {
            uint32_t rx = utf16_rank(x), ry = utf16_rank(y);
            if (rx != ry) {
                return rx < ry ? -1 : 1;
            }
            return x < y ? -1 : 1; /* same high surrogate: the low one decides */
        }
    }
    return (a < a_end) - (b < b_end);
}

static int number_is_canonical(Cursor *c)
{
    const unsigned char *p = c->p, *end = c->end;
    int negative = 0;
    if (*p == '-') {
        negative = 1;
        p++;
    }
    if (p >= end) {
        return -1;
    }
    if (*p == '0') {
        if (negative) {
            return -1; /* RFC 8785 writes -0 as 0 */
        }
        p++;
    } else if (*p >= '1' && *p <= '9') {
        uint64_t value = 0;
        int digits = 0;
        while (p < end && *p >= '0' && *p <= '9') {
            if (++digits > 16) {
                return -1;
            }
            value = value * 10 + (uint64_t)(*p - '0');
            p++;
        }
        if (value > MAX_SAFE_INTEGER) {
            return -1;
        }
    } else {
        return -1;
    }
    if (p < end && (*p == '.' || *p == 'e' || *p == 'E' || (*p >= '0' && *p <= '9'))) {
        return -1; /* a fraction or exponent is a float, outside the payload domain */
    }
    c->p = p;
    return 0;
}

static int literal_is(Cursor *c, const char *word, size_t size)
{
    if ((size_t)(c->end - c->p) < size || memcmp(c->p, word, size) != 0) {
        return -1;
    }
    c->p += size;
    return 0;
}

static int object_is_canonical(Cursor *c, int depth)
{
    c->p++; /* { */
    if (c->p < c->end && *c->p == '}') {
        c->p++;
        return 0;
    }
    const unsigned char *previous = NULL, *previous_end = NULL;
    for (;;) {
        if (c->p >= c->end || *c->p != '"') {
            return -1;
        }
        const unsigned char *key = c->p;
        if (string_is_canonical(c) < 0) {
            return -1;
        }
        if (previous != NULL && compare_keys(previous, previous_end, key, c->p) >= 0) {
            return -1; /* unsorted or repeated */
        }
        previous = key;
        previous_end = c->p;
        if (c->p >= c->end || *c->p != ':') {
            return -1;
        }
        c->p++;
        if (value_is_canonical(c, depth + 1) < 0) {
            return -1;
        }
        if (c->p >= c->end) {
            return -1;
        }
        if (*c->p == '}') {
            c->p++;
            return 0;
        }
        if (*c->p != ',') {
            return -1;
        }
        c->p++;
    }
}

static int array_is_canonical(Cursor *c, int depth)
{
    c->p++; /* [ */
    if (c->p < c->end && *c->p == ']') {
        c->p++;
        return 0;
    }
    for (;;) {
        if (value_is_canonical(c, depth + 1) < 0 || c->p >= c->end) {
            return -1;
        }
        if (*c->p == ']') {
            c->p++;
            return 0;
        }
        if (*c->p != ',') {
            return -1;
        }
        c->p++;
    }
}

static int value_is_canonical(Cursor *c, int depth)
{
    if (c->p >= c->end || depth > MAX_DEPTH) {
        return -1;
    }
    switch (*c->p) {
    case '"': return string_is_canonical(c);
    case '{': return object_is_canonical(c, depth);
    case '[': return array_is_canonical(c, depth);
    case 't': return literal_is(c, "true", 4);
    case 'f': return literal_is(c, "false", 5);
    case 'n': return literal_is(c, "null", 4);
    default: return number_is_canonical(c);
    }
}

/* ---- the digest ---------------------------------------------------------------- */

static const char HEX[] = "0123456789abcdef";

static void to_hex(const unsigned char *data, size_t size, char *out)
{
    for (size_t i = 0; i < size; i++) {
        out[2 * i] = HEX[data[i] >> 4];
        out[2 * i + 1] = HEX[data[i] & 0x0F];
    }
}

static int compare_digests(const void *a, const void *b)
{
    return memcmp(a, b, DIGEST_SIZE);
}

/* The UTF-8 bytes a key token stands for (what its salt's HMAC hashes). Returns the
 * size written to out, which has room for the token's size. */
static size_t unescape_key(const unsigned char *token, const unsigned char *token_end,
                           unsigned char *out)
{
    const unsigned char *p = token + 1, *end = token_end - 1;
    size_t size = 0;
    while (p < end) {
        if (*p != '\\') {
            out[size++] = *p++;
        } else {
            out[size++] = (unsigned char)next_code_point(&p); /* escapes are all < 0x80 */
        }
    }
    return size;
}

/* The field digest of one member: H(["<salt hex>",<key token>,<value text>]), where
 * the salt is the first 16 bytes of HMAC(secret, name) from the prepared states. */
static void field_digest(const SHA256_CTX *inner, const SHA256_CTX *outer,
                         const unsigned char *name, size_t name_size,
                         const unsigned char *key, const unsigned char *key_end,
                         const unsigned char *value, const unsigned char *value_end,
                         unsigned char out[DIGEST_SIZE])
{
    unsigned char mac[DIGEST_SIZE];
    SHA256_CTX step = *inner;
    SHA256_Update(&step, name, name_size);
    SHA256_Final(mac, &step);
    step = *outer;
    SHA256_Update(&step, mac, DIGEST_SIZE);
    SHA256_Final(mac, &step);

    char head[2 + 2 * SALT_SIZE + 2];
    head[0] = '[';
    head[1] = '"';
    to_hex(mac, SALT_SIZE, head + 2);
    head[2 + 2 * SALT_SIZE] = '"';
    head[3 + 2 * SALT_SIZE] = ',';
    SHA256_Init(&step);
    SHA256_Update(&step, head, sizeof head);
    SHA256_Update(&step, key, (size_t)(key_end - key));
    SHA256_Update(&step, ",", 1);
    SHA256_Update(&step, value, (size_t)(value_end - value));
    SHA256_Update(&step, "]", 1);
    SHA256_Final(out, &step);
}

/* H(JCS(sorted hex digests)): hex keeps byte order, so the raw digests are sorted. */
static void digest_of_digests(unsigned char (*digests)[DIGEST_SIZE], size_t count,
                              unsigned char out[DIGEST_SIZE])
{
    qsort(digests, count, DIGEST_SIZE, compare_digests);
    SHA256_CTX step;
    SHA256_Init(&step);
    SHA256_Update(&step, "[", 1);
    for (size_t i = 0; i < count; i++) {
        char quoted[2 * DIGEST_SIZE + 3];
        size_t at = 0;
        if (i > 0) {
            quoted[at++] = ',';
        }
        quoted[at++] = '"';
        to_hex(digests[i], DIGEST_SIZE, quoted + at);
        at += 2 * DIGEST_SIZE;
        quoted[at++] = '"';
        SHA256_Update(&step, quoted, at);
    }
    SHA256_Update(&step, "]", 1);
    SHA256_Final(out, &step);
}

#define INLINE_FIELDS 32
#define INLINE_NAME 256

/* The v2 payload digest of a canonical payload, into `out`, in one pass that checks
 * the text as it hashes it. Returns 0, -1 when the payload is not a canonical object
 * of the payload domain, or -2 on a memory error (with the exception set). */
static int payload_digest(const unsigned char *secret, size_t secret_size,
                          const unsigned char *payload, size_t payload_size,
                          unsigned char out[DIGEST_SIZE])
{
    if (payload_size < 2 || payload[0] != '{') {
        return -1;
    }
    /* HMAC (RFC 2104) with the event secret: the padded key's two states, once. */
    unsigned char pad[BLOCK_SIZE] = {0};
    memcpy(pad, secret, secret_size);
    SHA256_CTX inner, outer;
    for (int i = 0; i < BLOCK_SIZE; i++) {
        pad[i] ^= 0x36;
    }
    SHA256_Init(&inner);
    SHA256_Update(&inner, pad, BLOCK_SIZE);
    for (int i = 0; i < BLOCK_SIZE; i++) {
        pad[i] ^= 0x36 ^ 0x5C;
    }
    SHA256_Init(&outer);
    SHA256_Update(&outer, pad, BLOCK_SIZE);

    unsigned char inline_digests[INLINE_FIELDS][DIGEST_SIZE], inline_name[INLINE_NAME];
    unsigned char (*digests)[DIGEST_SIZE] = inline_digests;
    unsigned char *name = inline_name;
    size_t count = 0, capacity = INLINE_FIELDS;
    int outcome = -1;

    Cursor c = {payload + 1, payload + payload_size};
    const unsigned char *previous = NULL, *previous_end = NULL;
    if (c.p < c.end && *c.p == '}') {
        c.p++;
        outcome = c.p == c.end ? 0 : -1;
        goto done;
    }
    for (;;) {
        const unsigned char *key = c.p;
        if (c.p >= c.end || *c.p != '"' || string_is_canonical(&c) < 0) {
            goto done;
        }
        const unsigned char *key_end = c.p;
        if (previous != NULL && compare_keys(previous, previous_end, key, key_end) >= 0) {
            goto done; /* unsorted or repeated */
        }
        previous = key;
        previous_end = key_end;
        if (c.p >= c.end || *c.p != ':') {
            goto done;
        }
        c.p++;
        const unsigned char *value = c.p;
        if (value_is_canonical(&c, 1) < 0 || c.p >= c.end || (*c.p != ',' && *c.p != '}')) {
            goto done;
        }
        if (count == capacity) {
            void *grown = PyMem_Malloc(2 * capacity * DIGEST_SIZE);
            if (grown == NULL) {
                outcome = -2;
                goto done;
            }
            memcpy(grown, digests, count * DIGEST_SIZE);
            if (digests != inline_digests) {
                PyMem_Free(digests);
            }
            digests = grown;
            capacity *= 2;
        }
        size_t key_size = (size_t)(key_end - key);
        if (key_size > INLINE_NAME && name == inline_name) {
            name = PyMem_Malloc(payload_size); /* room for any key of this payload */
            if (name == NULL) {
                outcome = -2;
                goto done;
            }
        }
        size_t name_size = unescape_key(key, key_end, name);
        field_digest(&inner, &outer, name, name_size, key, key_end, value, c.p, digests[count]);
        count++;
        if (*c.p++ == '}') {
            break;
        }
    }
    if (c.p != c.end) {
        goto done;
    }
    outcome = 0;
done:
    if (outcome == 0) {
        digest_of_digests(digests, count, out);
    }
    if (digests != inline_digests) {
        PyMem_Free(digests);
    }
    if (name != inline_name) {
        PyMem_Free(name);
    }
    if (outcome == -2) {
        PyErr_NoMemory();
    }
    return outcome;
}

PyDoc_STRVAR(payload_digest_sha256_doc,
"payload_digest_sha256(secret, payload, /)\n--\n\n"
"The v2 payload digest of a SHA-256 ledger's event, from the event secret (bytes,\n"
"at most 64) and its canonical payload (bytes or str). None when the payload is not\n"
"a canonical JSON object within the payload domain: the pure-Python path decides\n"
"those.");

/* The bytes of a payload given as bytes or str (its UTF-8), or NULL (no exception
 * left) for anything else, or a str with a lone surrogate, which is not canonical text. */
static const char *payload_text(PyObject *payload, Py_ssize_t *size)
{
    if (PyBytes_CheckExact(payload)) {
        *size = PyBytes_GET_SIZE(payload);
        return PyBytes_AS_STRING(payload);
    }
    if (!PyUnicode_CheckExact(payload)) {
        return NULL;
    }
    const char *text = PyUnicode_AsUTF8AndSize(payload, size);
    if (text == NULL) {
        PyErr_Clear();
    }
    return text;
}

static PyObject *payload_digest_sha256(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "payload_digest_sha256 takes 2 arguments, got %zd", nargs);
        return NULL;
    }
    PyObject *secret = args[0], *payload = args[1];
    if (!PyBytes_CheckExact(secret) || PyBytes_GET_SIZE(secret) > BLOCK_SIZE) {
        Py_RETURN_NONE;
    }
    Py_ssize_t size;
    const char *text = payload_text(payload, &size);
    if (text == NULL) {
        Py_RETURN_NONE;
    }
    unsigned char digest[DIGEST_SIZE];
    int outcome = payload_digest((const unsigned char *)PyBytes_AS_STRING(secret),
                                 (size_t)PyBytes_GET_SIZE(secret), (const unsigned char *)text,
                                 (size_t)size, digest);
    if (outcome == -2) {
        return NULL;
    }
    if (outcome < 0) {
        Py_RETURN_NONE;
    }
    return PyBytes_FromStringAndSize((const char *)digest, DIGEST_SIZE);
}

/* ---- the envelope's leaf ---------------------------------------------------------- */

/* uuid.UUID and the datetime C API, looked up once when the module loads. */
static PyObject *uuid_class = NULL;
static PyObject *int_name = NULL;
static PyObject *sixty_four = NULL;

typedef struct {
    char *data;
    size_t size;
    size_t capacity;
} Buffer;

static void put(Buffer *b, const char *data, size_t size)
{
    memcpy(b->data + b->size, data, size); /* capacity is reserved up front */
    b->size += size;
}

#define PUT_LITERAL(b, text) put((b), (text), sizeof(text) - 1)

/* A JSON string as RFC 8785 writes it (the same escapes string_is_canonical accepts). */
static void put_json_string(Buffer *b, const char *text, Py_ssize_t size)
{
    char *out = b->data + b->size;
    *out++ = '"';
    for (Py_ssize_t i = 0; i < size; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *out++ = (char)c;
            continue;
        }
        *out++ = '\\';
        switch (c) {
        case '"': *out++ = '"'; break;
        case '\\': *out++ = '\\'; break;
        case 0x08: *out++ = 'b'; break;
        case 0x09: *out++ = 't'; break;
        case 0x0a: *out++ = 'n'; break;
        case 0x0c: *out++ = 'f'; break;
        case 0x0d: *out++ = 'r'; break;
        default:
            *out++ = 'u';
            *out++ = '0';
            *out++ = '0';
            *out++ = HEX[c >> 4];
            *out++ = HEX[c & 0x0F];
        }
    }
    *out++ = '"';
    b->size = (size_t)(out - b->data);
}

static void put_integer(Buffer *b, uint64_t value)
{
    char digits[20];
    int n = 0;
    do {
        digits[n++] = (char)('0' + value % 10);
        value /= 10;
    } while (value > 0);
    while (n > 0) {
        b->data[b->size++] = digits[--n];
    }
}

/* An exact int within 1 .. 2**53 - 1, as the envelope allows; 0 when it is not. */
static uint64_t envelope_integer(PyObject *value)
{
    if (!PyLong_CheckExact(value)) {
        return 0;
    }
    int overflow;
    long long n = PyLong_AsLongLongAndOverflow(value, &overflow);
    if (overflow || n < 1 || (uint64_t)n > MAX_SAFE_INTEGER) {
        return 0;
    }
    return (uint64_t)n;
}

static int is_digits(const char *text, int count)
{
    for (int i = 0; i < count; i++) {
        if (text[i] < '0' || text[i] > '9') {
            return 0;
        }
    }
    return 1;
}

static int number_at(const char *text, int count)
{
    int n = 0;
    for (int i = 0; i < count; i++) {
        n = n * 10 + (text[i] - '0');
    }
    return n;
}

/* Whether text[0..10) is a calendar date written YYYY-MM-DD (year 1 to 9999): the
 * exact text date.isoformat() gives for the date that the Python path parses it to. */
static int is_iso_date(const char *text)
{
    if (!is_digits(text, 4) || text[4] != '-' || !is_digits(text + 5, 2) || text[7] != '-' ||
        !is_digits(text + 8, 2)) {
        return 0;
    }
    int year = number_at(text, 4), month = number_at(text + 5, 2), day = number_at(text + 8, 2);
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (year < 1 || month < 1 || month > 12 || day < 1) {
        return 0;
    }
    int leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    return day <= days[month - 1] + (month == 2 && leap);
}

/* Whether text is a UTC timestamp YYYY-MM-DDTHH:MM:SS.ffffffZ that the Python path
 * parses and writes back as the same text. */
static int is_utc_timestamp(const char *text, Py_ssize_t size)
{
    return size == 27 && is_iso_date(text) && text[10] == 'T' && is_digits(text + 11, 2) &&
           text[13] == ':' && is_digits(text + 14, 2) && text[16] == ':' &&
           is_digits(text + 17, 2) && text[19] == '.' && is_digits(text + 20, 6) &&
           text[26] == 'Z' && number_at(text + 11, 2) < 24 && number_at(text + 14, 2) < 60 &&
           number_at(text + 17, 2) < 60;
}

/* The UTF-8 of an exact str, or NULL (no exception left) for anything else. */
static const char *text_of(PyObject *value, Py_ssize_t *size)
{
    if (!PyUnicode_CheckExact(value)) {
        return NULL;
    }
    const char *text = PyUnicode_AsUTF8AndSize(value, size);
    if (text == NULL) {
        PyErr_Clear(); /* a lone surrogate: the Python path names it */
    }
    return text;
}

/* The text str(uuid.UUID(bytes=bytes)) gives: 8-4-4-4-12 lowercase hex digits. */
static void uuid_format(const unsigned char bytes[16], char out[36])
{
    static const int groups[] = {4, 2, 2, 2, 6};
    int at = 0, from = 0;
    for (int g = 0; g < 5; g++) {
        if (g > 0) {
            out[at++] = '-';
        }
        to_hex(bytes + from, (size_t)groups[g], out + at);
        at += 2 * groups[g];
        from += groups[g];
    }
}

/* str(uuid) of an exact uuid.UUID into out[36]; 0, or -1 (no exception left) when it is
 * not one. */
static int uuid_text(PyObject *value, char out[36])
{
    if ((PyObject *)Py_TYPE(value) != uuid_class) {
        return -1;
    }
    PyObject *number = PyObject_GetAttr(value, int_name);
    if (number == NULL || !PyLong_CheckExact(number)) {
        Py_XDECREF(number);
        PyErr_Clear();
        return -1;
    }
    PyObject *high_part = PyNumber_Rshift(number, sixty_four);
    unsigned long long low = PyLong_AsUnsignedLongLongMask(number);
    unsigned long long high = high_part == NULL ? 0 : PyLong_AsUnsignedLongLong(high_part);
    Py_DECREF(number);
    Py_XDECREF(high_part);
    if (PyErr_Occurred()) { /* over 128 bits: not a UUID the Python path accepts either */
        PyErr_Clear();
        return -1;
    }
    unsigned char bytes[16];
    for (int i = 0; i < 8; i++) {
        bytes[i] = (unsigned char)(high >> (56 - 8 * i));
        bytes[8 + i] = (unsigned char)(low >> (56 - 8 * i));
    }
    uuid_format(bytes, out);
    return 0;
}

/* The text of an event id as a stored row holds it: a uuid.UUID, or its 16 bytes (how
 * SQLite keeps the column, which the row source hands over unconverted). */
static int event_id_text(PyObject *value, char out[36])
{
    if (PyBytes_CheckExact(value)) {
        if (PyBytes_GET_SIZE(value) != 16) {
            return -1;
        }
        uuid_format((const unsigned char *)PyBytes_AS_STRING(value), out);
        return 0;
    }
    return uuid_text(value, out);
}

/* The leaf hash of an envelope into `leaf`, from the members that vary per event (as
 * the objects a row holds) and the ledger's own origin and leaf format. Returns 0, -1
 * when a member is not one the envelope takes in exactly that form, or -2 on a memory
 * error (with the exception set). */
static int envelope_leaf(PyObject *actor_value, const char event_id[36],
                         PyObject *occurred_value, const char *origin, Py_ssize_t origin_size,
                         PyObject *digest, PyObject *position_value, PyObject *recorded_value,
                         PyObject *schema_value, PyObject *stream_value,
                         PyObject *stream_version_value, PyObject *type_value, uint64_t version,
                         unsigned char leaf[DIGEST_SIZE])
{
    Py_ssize_t actor_size, recorded_size, stream_size, type_size;
    const char *actor = text_of(actor_value, &actor_size);
    const char *recorded = text_of(recorded_value, &recorded_size);
    const char *stream = text_of(stream_value, &stream_size);
    const char *type = text_of(type_value, &type_size);
    uint64_t position = envelope_integer(position_value);
    uint64_t schema_version = envelope_integer(schema_value);
    uint64_t stream_version = envelope_integer(stream_version_value);
    if (actor == NULL || recorded == NULL || stream == NULL || type == NULL ||
        stream_size == 0 || type_size == 0 || !is_utc_timestamp(recorded, recorded_size) ||
        position == 0 || schema_version == 0 || stream_version == 0 ||
        !PyBytes_CheckExact(digest) || PyBytes_GET_SIZE(digest) != DIGEST_SIZE) {
        return -1;
    }
    char occurred[10];
    if (PyDate_CheckExact(occurred_value)) {
        int year = PyDateTime_GET_YEAR(occurred_value);
        int month = PyDateTime_GET_MONTH(occurred_value), day = PyDateTime_GET_DAY(occurred_value);
        occurred[0] = (char)('0' + year / 1000);
        occurred[1] = (char)('0' + year / 100 % 10);
        occurred[2] = (char)('0' + year / 10 % 10);
        occurred[3] = (char)('0' + year % 10);
        occurred[4] = '-';
        occurred[5] = (char)('0' + month / 10);
        occurred[6] = (char)('0' + month % 10);
        occurred[7] = '-';
        occurred[8] = (char)('0' + day / 10);
        occurred[9] = (char)('0' + day % 10);
    } else {
        Py_ssize_t size;
        const char *text = text_of(occurred_value, &size);
        if (text == NULL || size != 10 || !is_iso_date(text)) {
            return -1;
        }
        memcpy(occurred, text, 10);
    }

    /* Room for the keys, numbers and digests (under 300 bytes) and each text escaped
     * at worst six bytes per byte. */
    size_t capacity = 512 + 6 * (size_t)(actor_size + origin_size + stream_size + type_size);
    char inline_data[2048];
    Buffer b = {inline_data, 0, sizeof inline_data};
    if (capacity > sizeof inline_data) {
        b.data = PyMem_Malloc(capacity);
        if (b.data == NULL) {
            PyErr_NoMemory();
            return -2;
        }
        b.capacity = capacity;
    }
    b.data[b.size++] = 0x00; /* RFC 9162's leaf prefix, hashed with the envelope */
    PUT_LITERAL(&b, "{\"actor\":");
    put_json_string(&b, actor, actor_size);
    PUT_LITERAL(&b, ",\"event_id\":\"");
    put(&b, event_id, 36);
    PUT_LITERAL(&b, "\",\"hash\":\"sha256\",\"occurred_on\":\"");
    put(&b, occurred, 10);
    PUT_LITERAL(&b, "\",\"origin\":");
    put_json_string(&b, origin, origin_size);
    PUT_LITERAL(&b, ",\"payload_digest\":\"");
    to_hex((const unsigned char *)PyBytes_AS_STRING(digest), DIGEST_SIZE, b.data + b.size);
    b.size += 2 * DIGEST_SIZE;
    PUT_LITERAL(&b, "\",\"position\":");
    put_integer(&b, position);
    PUT_LITERAL(&b, ",\"recorded_at\":\"");
    put(&b, recorded, 27);
    PUT_LITERAL(&b, "\",\"schema_version\":");
    put_integer(&b, schema_version);
    PUT_LITERAL(&b, ",\"stream\":");
    put_json_string(&b, stream, stream_size);
    PUT_LITERAL(&b, ",\"stream_version\":");
    put_integer(&b, stream_version);
    PUT_LITERAL(&b, ",\"type\":");
    put_json_string(&b, type, type_size);
    PUT_LITERAL(&b, ",\"v\":");
    put_integer(&b, version);
    b.data[b.size++] = '}';

    SHA256((const unsigned char *)b.data, b.size, leaf);
    if (b.data != inline_data) {
        PyMem_Free(b.data);
    }
    return 0;
}

PyDoc_STRVAR(envelope_leaf_sha256_doc,
"envelope_leaf_sha256(actor, event_id, hash, occurred_on, origin, payload_digest, position,\n"
"    recorded_at, schema_version, stream, stream_version, type, v, /)\n--\n\n"
"The leaf hash H(0x00 || envelope) of a SHA-256 ledger's event, the envelope's members\n"
"given in its key order: texts as str, event_id a uuid.UUID, occurred_on a date or its\n"
"YYYY-MM-DD text, recorded_at its YYYY-MM-DDTHH:MM:SS.ffffffZ text. None when a member\n"
"is not one the envelope takes in exactly that form: the pure-Python path decides\n"
"those, and names what is wrong.");

static PyObject *envelope_leaf_sha256(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 13) {
        PyErr_Format(PyExc_TypeError, "envelope_leaf_sha256 takes 13 arguments, got %zd", nargs);
        return NULL;
    }
    enum { ACTOR, EVENT_ID, HASH, OCCURRED_ON, ORIGIN, PAYLOAD_DIGEST, POSITION, RECORDED_AT,
           SCHEMA_VERSION, STREAM, STREAM_VERSION, TYPE, VERSION };
    Py_ssize_t hash_size, origin_size;
    const char *hash = text_of(args[HASH], &hash_size);
    const char *origin = text_of(args[ORIGIN], &origin_size);
    uint64_t version = envelope_integer(args[VERSION]);
    char event_id[36];
    if (hash == NULL || origin == NULL || hash_size != 6 || memcmp(hash, "sha256", 6) != 0 ||
        origin_size == 0 || (version != 1 && version != 2) ||
        uuid_text(args[EVENT_ID], event_id) < 0) {
        Py_RETURN_NONE;
    }
    unsigned char leaf[DIGEST_SIZE];
    int outcome = envelope_leaf(args[ACTOR], event_id, args[OCCURRED_ON], origin, origin_size,
                                args[PAYLOAD_DIGEST], args[POSITION], args[RECORDED_AT],
                                args[SCHEMA_VERSION], args[STREAM], args[STREAM_VERSION],
                                args[TYPE], version, leaf);
    if (outcome == -2) {
        return NULL;
    }
    if (outcome < 0) {
        Py_RETURN_NONE;
    }
    return PyBytes_FromStringAndSize((const char *)leaf, DIGEST_SIZE);
}

/* ---- the Merkle fold ------------------------------------------------------------- */

PyDoc_STRVAR(fold_sha256_doc,
"fold_sha256(hashes, size, leaves, stored_levels, /)\n--\n\n"
"Append leaf hashes, given concatenated in ``leaves``, to a SHA-256 frontier of ``size``\n"
"leaves whose perfect-subtree hashes, largest first, are the list ``hashes`` (changed in\n"
"place). Returns the nodes they completed at the levels set in the bit mask\n"
"``stored_levels``, as a list of (level, index, hash) in completion order; None, with the\n"
"list untouched, when an argument is not what a consistent frontier and whole leaf\n"
"hashes are (the pure-Python path then decides).");

static PyObject *fold_sha256(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 4) {
        PyErr_Format(PyExc_TypeError, "fold_sha256 takes 4 arguments, got %zd", nargs);
        return NULL;
    }
    PyObject *hashes = args[0], *leaves = args[2];
    if (!PyList_CheckExact(hashes) || !PyLong_CheckExact(args[1]) ||
        !PyBytes_CheckExact(leaves) || PyBytes_GET_SIZE(leaves) == 0 ||
        PyBytes_GET_SIZE(leaves) % DIGEST_SIZE != 0 || !PyLong_CheckExact(args[3])) {
        Py_RETURN_NONE;
    }
    unsigned long long size = PyLong_AsUnsignedLongLong(args[1]);
    if (size == (unsigned long long)-1 && PyErr_Occurred()) { /* negative, or beyond 64 bits */
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    unsigned long long stored = PyLong_AsUnsignedLongLong(args[3]);
    if (stored == (unsigned long long)-1 && PyErr_Occurred()) {
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    unsigned long long added = (unsigned long long)(PyBytes_GET_SIZE(leaves) / DIGEST_SIZE);
    Py_ssize_t count = PyList_GET_SIZE(hashes);
    if ((unsigned long long)count != (unsigned long long)__builtin_popcountll(size) ||
        size > UINT64_MAX - added) { /* the size after must fit in 64 bits */
        Py_RETURN_NONE;
    }
    /* The frontier as a stack of subtree hashes, at most one per bit of the size. */
    unsigned char stack[64][DIGEST_SIZE];
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *item = PyList_GET_ITEM(hashes, i);
        if (!PyBytes_CheckExact(item) || PyBytes_GET_SIZE(item) != DIGEST_SIZE) {
            Py_RETURN_NONE;
        }
        memcpy(stack[i], PyBytes_AS_STRING(item), DIGEST_SIZE);
    }
    PyObject *completed = PyList_New(0);
    if (completed == NULL) {
        return NULL;
    }
    static const unsigned char node_prefix = 0x01;
    const unsigned char *leaf = (const unsigned char *)PyBytes_AS_STRING(leaves);
    Py_ssize_t top = count, lowest = count; /* the list's items below `lowest` stay as they are */
    for (unsigned long long k = 0; k < added; k++, size++, leaf += DIGEST_SIZE) {
        unsigned char node[DIGEST_SIZE];
        memcpy(node, leaf, DIGEST_SIZE);
        int level = 0;
        /* Each set low bit of the size is a subtree of the new leaf's height: merge it
         * in, as a binary counter carries. */
        while ((size >> level) & 1) {
            SHA256_CTX context;
            SHA256_Init(&context);
            SHA256_Update(&context, &node_prefix, 1);
            SHA256_Update(&context, stack[--top], DIGEST_SIZE);
            SHA256_Update(&context, node, DIGEST_SIZE);
            SHA256_Final(node, &context);
            level++;
            if (level < 64 && ((stored >> level) & 1)) {
                PyObject *triple = Py_BuildValue("(iKy#)", level, ((size + 1) >> level) - 1,
                                                 (const char *)node, (Py_ssize_t)DIGEST_SIZE);
                if (triple == NULL || PyList_Append(completed, triple) < 0) {
                    Py_XDECREF(triple);
                    Py_DECREF(completed);
                    return NULL;
                }
                Py_DECREF(triple);
            }
        }
        if (top < lowest) {
            lowest = top;
        }
        memcpy(stack[top++], node, DIGEST_SIZE);
    }
    /* Write back only the changed tail, and only once every new hash object exists. */
    PyObject *tail = PyList_New(top - lowest);
    if (tail == NULL) {
        Py_DECREF(completed);
        return NULL;
    }
    for (Py_ssize_t i = lowest; i < top; i++) {
        PyObject *item = PyBytes_FromStringAndSize((const char *)stack[i], DIGEST_SIZE);
        if (item == NULL) {
            Py_DECREF(tail);
            Py_DECREF(completed);
            return NULL;
        }
        PyList_SET_ITEM(tail, i - lowest, item);
    }
    int replaced = PyList_SetSlice(hashes, lowest, count, tail);
    Py_DECREF(tail);
    if (replaced < 0) {
        Py_DECREF(completed);
        return NULL;
    }
    return completed;
}

/* ---- intact rows ------------------------------------------------------------------ */

/* What every row of a walk shares. */
typedef struct {
    const char *origin;
    Py_ssize_t origin_size;
    uint64_t version;
    const char *prefix; /* how a redacted payload's bytes begin */
    Py_ssize_t prefix_size;
    PyObject *targets; /* ids (text) that redactions name, or NULL */
} Walk;

enum { ROW_POSITION, ROW_STREAM, ROW_STREAM_VERSION, ROW_EVENT_ID, ROW_TYPE, ROW_SCHEMA_VERSION,
       ROW_OCCURRED_ON, ROW_RECORDED_AT, ROW_ACTOR, ROW_PAYLOAD, ROW_SALT, ROW_PAYLOAD_DIGEST,
       ROW_LEAF_HASH, ROW_COMMITMENTS, ROW_FIELDS };

/* The leaf of a row at `position` that is intact (IntactRows.leaf's conditions) into
 * `leaf`. Returns 0, -1 when the row is anything else, or -2 on an error (set). */
static int intact_leaf(PyObject *row, long long position, const Walk *walk,
                       unsigned char leaf[DIGEST_SIZE])
{
    if (!PyTuple_Check(row) || PyTuple_GET_SIZE(row) != ROW_FIELDS) {
        return -1;
    }
    PyObject *stored_position = PyTuple_GET_ITEM(row, ROW_POSITION);
    PyObject *salt = PyTuple_GET_ITEM(row, ROW_SALT);
    PyObject *digest = PyTuple_GET_ITEM(row, ROW_PAYLOAD_DIGEST);
    PyObject *stored_leaf = PyTuple_GET_ITEM(row, ROW_LEAF_HASH);
    if (!PyLong_CheckExact(stored_position) || PyLong_AsLongLong(stored_position) != position ||
        PyTuple_GET_ITEM(row, ROW_COMMITMENTS) != Py_None || !PyBytes_CheckExact(salt) ||
        !PyBytes_CheckExact(digest) || PyBytes_GET_SIZE(digest) != DIGEST_SIZE ||
        !PyBytes_CheckExact(stored_leaf) || PyBytes_GET_SIZE(stored_leaf) != DIGEST_SIZE) {
        PyErr_Clear(); /* a position beyond 64 bits is just not this one */
        return -1;
    }
    Py_ssize_t payload_size;
    const char *payload = payload_text(PyTuple_GET_ITEM(row, ROW_PAYLOAD), &payload_size);
    if (payload == NULL || (payload_size >= walk->prefix_size &&
                            memcmp(payload, walk->prefix, (size_t)walk->prefix_size) == 0)) {
        return -1;
    }
    char event_id[36];
    if (event_id_text(PyTuple_GET_ITEM(row, ROW_EVENT_ID), event_id) < 0) {
        return -1;
    }
    if (walk->targets != NULL) { /* a row a redaction names takes the full checks */
        PyObject *text = PyUnicode_FromStringAndSize(event_id, 36);
        int named = text == NULL ? -1 : PySet_Contains(walk->targets, text);
        Py_XDECREF(text);
        if (named != 0) {
            return named < 0 ? -2 : -1;
        }
    }
    unsigned char computed[DIGEST_SIZE];
    const unsigned char *secret = (const unsigned char *)PyBytes_AS_STRING(salt);
    Py_ssize_t secret_size = PyBytes_GET_SIZE(salt);
    if (walk->version == 2) {
        if (secret_size > BLOCK_SIZE) {
            return -1;
        }
        int outcome = payload_digest(secret, (size_t)secret_size, (const unsigned char *)payload,
                                     (size_t)payload_size, computed);
        if (outcome < 0) {
            return outcome;
        }
    } else { /* leaf format v1: the hash of the salt and the payload */
        if (secret_size != SALT_SIZE) {
            return -1;
        }
        SHA256_CTX context;
        SHA256_Init(&context);
        SHA256_Update(&context, secret, SALT_SIZE);
        SHA256_Update(&context, payload, (size_t)payload_size);
        SHA256_Final(computed, &context);
    }
    if (memcmp(computed, PyBytes_AS_STRING(digest), DIGEST_SIZE) != 0) {
        return -1;
    }
    int outcome = envelope_leaf(
        PyTuple_GET_ITEM(row, ROW_ACTOR), event_id, PyTuple_GET_ITEM(row, ROW_OCCURRED_ON),
        walk->origin, walk->origin_size, digest, stored_position,
        PyTuple_GET_ITEM(row, ROW_RECORDED_AT), PyTuple_GET_ITEM(row, ROW_SCHEMA_VERSION),
        PyTuple_GET_ITEM(row, ROW_STREAM), PyTuple_GET_ITEM(row, ROW_STREAM_VERSION),
        PyTuple_GET_ITEM(row, ROW_TYPE), walk->version, leaf);
    if (outcome < 0) {
        return outcome;
    }
    return memcmp(leaf, PyBytes_AS_STRING(stored_leaf), DIGEST_SIZE) == 0 ? 0 : -1;
}

PyDoc_STRVAR(intact_leaves_sha256_doc,
"intact_leaves_sha256(rows, start, position, last, origin, v, redacted_prefix, targets, /)\n"
"--\n\n"
"The leaf hashes, concatenated, of the run of intact rows of a SHA-256 ledger that starts\n"
"at rows[start]: rows is a list of tuples in StoredRow's field order (the event id a\n"
"uuid.UUID or its 16 bytes, the payload bytes or str), and the run holds positions\n"
"``position``, ``position + 1``, ... up to at most ``last``. A row is intact when its\n"
"salt and payload give its stored payload digest (leaf format ``v``) and its envelope\n"
"gives its stored leaf hash, it has no commitments, its payload does not begin with\n"
"``redacted_prefix``, and its id's text is not in the set ``targets`` (None: no ids).\n"
"The run ends at the first row that is not all of that, which the caller checks on the\n"
"pure-Python path; None when an argument is not one this handles.");

static PyObject *intact_leaves_sha256(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 8) {
        PyErr_Format(PyExc_TypeError, "intact_leaves_sha256 takes 8 arguments, got %zd", nargs);
        return NULL;
    }
    PyObject *rows = args[0], *prefix = args[6], *targets = args[7];
    Walk walk;
    walk.origin = text_of(args[4], &walk.origin_size);
    walk.version = envelope_integer(args[5]);
    if (!PyList_CheckExact(rows) || !PyLong_CheckExact(args[1]) || !PyLong_CheckExact(args[2]) ||
        !PyLong_CheckExact(args[3]) || walk.origin == NULL || walk.origin_size == 0 ||
        (walk.version != 1 && walk.version != 2) || !PyBytes_CheckExact(prefix) ||
        PyBytes_GET_SIZE(prefix) == 0 || (targets != Py_None && !PyAnySet_Check(targets))) {
        Py_RETURN_NONE;
    }
    walk.prefix = PyBytes_AS_STRING(prefix);
    walk.prefix_size = PyBytes_GET_SIZE(prefix);
    walk.targets = targets == Py_None ? NULL : targets;
    Py_ssize_t start = PyLong_AsSsize_t(args[1]);
    long long position = PyLong_AsLongLong(args[2]);
    long long last = PyLong_AsLongLong(args[3]);
    Py_ssize_t count = PyList_GET_SIZE(rows);
    if (PyErr_Occurred() || start < 0 || start > count || position < 1) {
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    Py_ssize_t most = count - start;
    if (last - position + 1 < (long long)most) {
        most = last < position ? 0 : (Py_ssize_t)(last - position + 1);
    }
    PyObject *leaves = PyBytes_FromStringAndSize(NULL, most * DIGEST_SIZE);
    if (leaves == NULL) {
        return NULL;
    }
    unsigned char *out = (unsigned char *)PyBytes_AS_STRING(leaves);
    Py_ssize_t done = 0;
    while (done < most) {
        int outcome = intact_leaf(PyList_GET_ITEM(rows, start + done), position + done, &walk,
                                  out + done * DIGEST_SIZE);
        if (outcome == -2) {
            Py_DECREF(leaves);
            return NULL;
        }
        if (outcome < 0) {
            break;
        }
        done++;
    }
    if (done < most && _PyBytes_Resize(&leaves, done * DIGEST_SIZE) < 0) {
        return NULL;
    }
    return leaves;
}

static PyMethodDef native_methods[] = {
    {"payload_digest_sha256", (PyCFunction)(void (*)(void))payload_digest_sha256, METH_FASTCALL,
     payload_digest_sha256_doc},
    {"envelope_leaf_sha256", (PyCFunction)(void (*)(void))envelope_leaf_sha256, METH_FASTCALL,
     envelope_leaf_sha256_doc},
    {"fold_sha256", (PyCFunction)(void (*)(void))fold_sha256, METH_FASTCALL, fold_sha256_doc},
    {"intact_leaves_sha256", (PyCFunction)(void (*)(void))intact_leaves_sha256, METH_FASTCALL,
     intact_leaves_sha256_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef native_module = {
    PyModuleDef_HEAD_INIT,
    "civicledger.merkle._native",
    "Native hashing for civicledger's hot paths (optional; see docs/design.md).",
    -1,
    native_methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__native(void)
{
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL) {
        return NULL;
    }
    if (uuid_class == NULL) {
        PyObject *uuid_module = PyImport_ImportModule("uuid");
        if (uuid_module == NULL) {
            return NULL;
        }
        uuid_class = PyObject_GetAttrString(uuid_module, "UUID");
        Py_DECREF(uuid_module);
        int_name = PyUnicode_InternFromString("int");
        sixty_four = PyLong_FromLong(64);
        if (uuid_class == NULL || int_name == NULL || sixty_four == NULL) {
            return NULL;
        }
    }
    return PyModule_Create(&native_module);
}
