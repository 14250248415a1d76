/* validate.c: input validation driven by the Kinesis API model (validate.h).
 *
 * At start the embedded service-2.json is parsed once into a compact table of shapes (kind,
 * min/max, pattern, enum, list member, map key/value, structure members in model order,
 * required flags) and operations (name -> input shape). Every later call only walks that table
 * and, for a valid request, allocates nothing.
 *
 * Start-up cost (kinesis-sim's time to first answer): the parsed Jansson tree is needed only
 * while the table is built, so it lives in a bump arena (Jansson's allocator is routed to it for
 * the loading thread only, see "The load arena") and is dropped in one go instead of freeing each
 * node; and each pattern's regex_t is compiled on its first use (under a lock, once), not at
 * load. A pattern that translates but does not compile (only possible in a hand-written model)
 * therefore fails every value it is applied to, instead of failing the load.
 *
 * A request is checked in two passes, as AWS does:
 *  1. types, in document order: the first JSON value whose type the shape cannot take gives a
 *     SerializationException with the wording AWS uses (recorded by kinesalite's tests against
 *     AWS, test/helpers.js assertType). Unknown members and nulls are ignored.
 *  2. constraints, in model member order: required members, lengths (UTF-16 units for strings,
 *     decoded bytes for blobs, entries for lists and maps), patterns, enums and value ranges.
 *     Every violation is listed (at most 10) in one ValidationException:
 *     "N validation error(s) detected: Value '<v>' at '<path>' failed to satisfy constraint: ...".
 *     Lists of structures are checked per element (path records.1.member.partitionKey); lists of
 *     scalars and map keys/values give one compound error for the whole collection ("Member must
 *     satisfy constraint: [...]", "Map keys/value must satisfy constraint: [...]"), as AWS does.
 */
#include "dispatch/validate.h"

#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "shared/base64.h"
#include "wire/json_fast.h"

/* ------------------------------------------------------------------------------------------ */
/* The compact model                                                                           */
/* ------------------------------------------------------------------------------------------ */

typedef enum {
    K_STRUCTURE,
    K_LIST,
    K_MAP,
    K_STRING,
    K_BLOB,
    K_INTEGER,
    K_LONG,
    K_DOUBLE,
    K_FLOAT,
    K_BOOLEAN,
    K_TIMESTAMP
} shape_kind;

typedef struct shape shape;

typedef struct {
    char *name;      /* as on the wire, e.g. StreamName */
    char *path_name; /* as in messages, e.g. streamName */
    shape *target;
    int required;
} member;

struct shape {
    char *name;
    shape_kind kind;
    int has_min, has_max;
    long long min, max;
    char *pattern;       /* the model's (Java) text, quoted in messages */
    char *posix;         /* its POSIX translation (sim_regex_java_to_posix), NULL when no pattern */
    regex_t re;          /* compiled from posix on first use (shape_regex) */
    atomic_int re_state; /* 0 not compiled yet, 1 compiled, -1 regcomp failed */
    char **enums;
    size_t n_enums;
    char *enum_text; /* "[A, B]" in AWS's order */
    shape *list_member, *map_key, *map_value;
    member *members;
    size_t n_members;
    /* "[Member must have length less than or equal to 128, ...]": this shape's own constraints,
     * quoted when it is a list member or a map key/value; NULL when it has none. */
    char *compound;
    json_t *def; /* borrowed during load only */
};

typedef struct {
    char *name;
    shape *input;
} operation;

struct sim_model {
    shape *shapes; /* sorted by name */
    size_t n_shapes;
    operation *ops; /* sorted by name */
    size_t n_ops;
};

/* AWS lists some enum sets in its own (Java set) order rather than the model's. Used only when
 * the values are exactly the model's. Source: kinesalite test/getShardIterator.js (against AWS). */
static const struct {
    const char *shape;
    const char *values[8];
} aws_enum_order[] = {
    {"ShardIteratorType",
     {"AFTER_SEQUENCE_NUMBER", "LATEST", "AT_TIMESTAMP", "AT_SEQUENCE_NUMBER", "TRIM_HORIZON"}},
};

/* ------------------------------------------------------------------------------------------ */
/* A small growable string, used at load time and on the error path only                      */
/* ------------------------------------------------------------------------------------------ */

typedef struct {
    char *buf;
    size_t len, cap;
    int oom;
} strbuf;

static void sb_addn(strbuf *sb, const char *s, size_t n)
{
    if (sb->oom)
        return;
    if (sb->len + n + 1 > sb->cap) {
        size_t cap = sb->cap ? sb->cap : 256;
        while (cap < sb->len + n + 1)
            cap *= 2;
        char *nb = realloc(sb->buf, cap);
        if (!nb) {
            sb->oom = 1;
            return;
        }
        sb->buf = nb;
        sb->cap = cap;
    }
    memcpy(sb->buf + sb->len, s, n);
    sb->len += n;
    sb->buf[sb->len] = '\0';
}

static void sb_add(strbuf *sb, const char *s)
{
    sb_addn(sb, s, strlen(s));
}

static void sb_printf(strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(strbuf *sb, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        sb_addn(sb, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void set_msg(char *msg, size_t msg_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_msg(char *msg, size_t msg_len, const char *fmt, ...)
{
    if (!msg || msg_len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, msg_len, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------------------------------------ */
/* Java regex -> POSIX ERE                                                                     */
/* ------------------------------------------------------------------------------------------ */

typedef struct {
    char *out;
    size_t len, cap;
    int overflow;
} outbuf;

static void ob_add(outbuf *ob, const char *s)
{
    size_t n = strlen(s);
    if (ob->len + n + 1 > ob->cap) {
        ob->overflow = 1;
        return;
    }
    memcpy(ob->out + ob->len, s, n + 1);
    ob->len += n;
}

static void ob_addc(outbuf *ob, char c)
{
    char s[2] = {c, '\0'};
    ob_add(ob, s);
}

int sim_regex_java_to_posix(const char *java, char *out, size_t out_len)
{
    if (!java || !out || out_len == 0)
        return -1;
    outbuf ob = {out, 0, out_len, 0};
    out[0] = '\0';
    ob_add(&ob, "^(");
    const char *p = java;
    while (*p) {
        char c = *p;
        if (c == '\\') {
            char e = p[1];
            if (e == '\0')
                return -1;
            switch (e) {
            case 'd':
                ob_add(&ob, "[0-9]");
                break;
            case 'D':
                ob_add(&ob, "[^0-9]");
                break;
            case 's':
                ob_add(&ob, "[[:space:]]");
                break;
            case 'S':
                ob_add(&ob, "[^[:space:]]");
                break;
            case 'w':
                ob_add(&ob, "[[:alnum:]_]");
                break;
            case 'W':
                ob_add(&ob, "[^[:alnum:]_]");
                break;
            case 't':
                ob_addc(&ob, '\t');
                break;
            case 'n':
                ob_addc(&ob, '\n');
                break;
            case 'r':
                ob_addc(&ob, '\r');
                break;
            default:
                if (strchr(".[]()*+?{}|^$\\", e)) {
                    ob_addc(&ob, '\\');
                    ob_addc(&ob, e);
                } else if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9')) {
                    return -1; /* \b \p{..} \Q \1 ...: no POSIX equivalent here */
                } else {
                    ob_addc(&ob, e); /* escaped punctuation such as \/ or \- is a literal */
                }
            }
            p += 2;
            continue;
        }
        if (c == '[') {
            /* Bracket expression: collect, then emit with ']' first and '-' last (POSIX rules). */
            p++;
            int neg = 0, rbracket = 0, dash = 0;
            char body[256];
            outbuf bb = {body, 0, sizeof body, 0};
            body[0] = '\0';
            if (*p == '^') {
                neg = 1;
                p++;
            }
            if (*p == ']') {
                rbracket = 1;
                p++;
            }
            while (*p && *p != ']') {
                if (*p == '[' || (p[0] == '&' && p[1] == '&'))
                    return -1; /* nested classes, intersections */
                if (*p == '\\') {
                    char e = p[1];
                    switch (e) {
                    case 'd':
                        ob_add(&bb, "0-9");
                        break;
                    case 's':
                        ob_add(&bb, "[:space:]");
                        break;
                    case 'w':
                        ob_add(&bb, "[:alnum:]_");
                        break;
                    case 't':
                        ob_addc(&bb, '\t');
                        break;
                    case 'n':
                        ob_addc(&bb, '\n');
                        break;
                    case 'r':
                        ob_addc(&bb, '\r');
                        break;
                    case ']':
                        rbracket = 1;
                        break;
                    case '-':
                        dash = 1;
                        break;
                    case '\0':
                        return -1;
                    default:
                        if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9'))
                            return -1;
                        ob_addc(&bb, e);
                    }
                    p += 2;
                    continue;
                }
                ob_addc(&bb, *p);
                p++;
            }
            if (*p != ']' || bb.overflow)
                return -1;
            p++;
            ob_addc(&ob, '[');
            if (neg)
                ob_addc(&ob, '^');
            if (rbracket)
                ob_addc(&ob, ']');
            ob_add(&ob, body);
            if (dash)
                ob_addc(&ob, '-');
            ob_addc(&ob, ']');
            continue;
        }
        if (c == '(' && p[1] == '?') {
            if (p[2] != ':')
                return -1; /* lookaround, named groups, flags */
            ob_addc(&ob, '(');
            p += 3;
            continue;
        }
        if (c == '*' || c == '+' || c == '?' || c == '}') {
            ob_addc(&ob, c);
            p++;
            if (*p == '?') /* lazy: the same set of full matches */
                p++;
            else if (*p == '+') /* possessive: can change what matches */
                return -1;
            continue;
        }
        ob_addc(&ob, c);
        p++;
    }
    ob_add(&ob, ")$");
    return ob.overflow ? -1 : 0;
}

/* ------------------------------------------------------------------------------------------ */
/* The load arena                                                                              */
/* ------------------------------------------------------------------------------------------ */

/* While a model loads, Jansson's allocator is routed through arena_malloc/arena_free: in the
 * loading thread (tl_arena set) every node of the parsed tree is bumped out of mmap'd chunks and
 * frees are no-ops; the whole tree is dropped by unmapping the chunks (deleting it node by node
 * cost about half of the model load). Other threads' Jansson calls are passed to the allocator
 * that was installed before (prev_malloc/prev_free), and pointers that are not in the arena are
 * freed by it. Installing and restoring Jansson's hooks is counted under hook_lock, so
 * overlapping loads in several threads restore the original pair. Jansson reads its hooks
 * without a lock: load models before other threads use Jansson (kinesis-sim loads it before the
 * front door starts). */
typedef struct arena_chunk {
    struct arena_chunk *next;
    size_t size, used; /* bytes mapped and bytes handed out, this header included */
} arena_chunk;

typedef struct {
    arena_chunk *chunks;
} load_arena;

#define ARENA_ALIGN 16u           /* as malloc's, for any json_t */
#define ARENA_CHUNK (512u * 1024) /* the embedded model's whole tree fits in one */

static _Thread_local load_arena *tl_arena;
static pthread_mutex_t hook_lock = PTHREAD_MUTEX_INITIALIZER;
static int hook_users;
static json_malloc_t prev_malloc = malloc;
static json_free_t prev_free = free;

static void *arena_alloc(load_arena *a, size_t n)
{
    size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (need < n)
        return NULL;
    arena_chunk *c = a->chunks;
    if (!c || c->size - c->used < need) {
        size_t hdr = (sizeof(arena_chunk) + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
        size_t size = need > ARENA_CHUNK - hdr ? need + hdr : ARENA_CHUNK;
        if (size < need)
            return NULL;
        void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (mem == MAP_FAILED)
            return NULL;
        c = mem;
        c->size = size;
        c->used = hdr;
        c->next = a->chunks;
        a->chunks = c;
    }
    void *p = (char *)c + c->used;
    c->used += need;
    return p;
}

static int arena_owns(const load_arena *a, const void *p)
{
    for (const arena_chunk *c = a->chunks; c; c = c->next)
        if ((const char *)p >= (const char *)c && (const char *)p < (const char *)c + c->size)
            return 1;
    return 0;
}

static void *arena_malloc(size_t n)
{
    load_arena *a = tl_arena;
    return a ? arena_alloc(a, n) : prev_malloc(n);
}

static void arena_free(void *p)
{
    load_arena *a = tl_arena;
    if (!p || (a && arena_owns(a, p)))
        return;
    prev_free(p);
}

/* Route this thread's Jansson allocations into a (empty) arena. */
static void arena_begin(load_arena *a)
{
    a->chunks = NULL;
    pthread_mutex_lock(&hook_lock);
    if (hook_users++ == 0) {
        json_get_alloc_funcs(&prev_malloc, &prev_free);
        json_set_alloc_funcs(arena_malloc, arena_free);
    }
    pthread_mutex_unlock(&hook_lock);
    tl_arena = a;
}

/* Stop routing and drop everything allocated in the arena (the parsed tree with it). */
static void arena_end(load_arena *a)
{
    tl_arena = NULL;
    pthread_mutex_lock(&hook_lock);
    if (--hook_users == 0)
        json_set_alloc_funcs(prev_malloc, prev_free);
    pthread_mutex_unlock(&hook_lock);
    while (a->chunks) {
        arena_chunk *next = a->chunks->next;
        munmap(a->chunks, a->chunks->size);
        a->chunks = next;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Loading                                                                                     */
/* ------------------------------------------------------------------------------------------ */

static int shape_cmp(const void *a, const void *b)
{
    return strcmp(((const shape *)a)->name, ((const shape *)b)->name);
}

static int op_cmp(const void *a, const void *b)
{
    return strcmp(((const operation *)a)->name, ((const operation *)b)->name);
}

static shape *find_shape(sim_model *m, const char *name)
{
    shape key;
    key.name = (char *)name;
    return bsearch(&key, m->shapes, m->n_shapes, sizeof(shape), shape_cmp);
}

static int kind_from_type(const char *t, shape_kind *k)
{
    static const struct {
        const char *name;
        shape_kind kind;
    } kinds[] = {
        {"structure", K_STRUCTURE}, {"list", K_LIST},           {"map", K_MAP},
        {"string", K_STRING},       {"blob", K_BLOB},           {"integer", K_INTEGER},
        {"long", K_LONG},           {"double", K_DOUBLE},       {"float", K_FLOAT},
        {"boolean", K_BOOLEAN},     {"timestamp", K_TIMESTAMP},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (strcmp(t, kinds[i].name) == 0) {
            *k = kinds[i].kind;
            return 0;
        }
    }
    return -1;
}

static shape *ref_shape(sim_model *m, json_t *ref)
{
    const char *name = json_string_value(json_object_get(ref, "shape"));
    return name ? find_shape(m, name) : NULL;
}

static int is_length_kind(shape_kind k)
{
    return k == K_STRING || k == K_BLOB || k == K_LIST || k == K_MAP;
}

/* Constraint texts, one per rule, in the order AWS quotes them inside a compound constraint. */
static char *build_compound(const shape *s)
{
    strbuf sb = {0};
    int n = 0;
    const char *what = is_length_kind(s->kind) ? "length" : "value";
    sb_add(&sb, "[");
    if (s->has_max) {
        sb_printf(&sb, "%sMember must have %s less than or equal to %lld", n++ ? ", " : "", what, s->max);
    }
    if (s->has_min) {
        sb_printf(&sb, "%sMember must have %s greater than or equal to %lld", n++ ? ", " : "", what, s->min);
    }
    if (s->pattern) {
        sb_add(&sb, n++ ? ", " : "");
        sb_add(&sb, "Member must satisfy regular expression pattern: ");
        sb_add(&sb, s->pattern);
    }
    if (s->enum_text) {
        sb_add(&sb, n++ ? ", " : "");
        sb_add(&sb, "Member must satisfy enum value set: ");
        sb_add(&sb, s->enum_text);
    }
    sb_add(&sb, "]");
    if (sb.oom || n == 0) {
        free(sb.buf);
        return NULL;
    }
    return sb.buf;
}

static char *build_enum_text(const shape *s)
{
    const char *const *order = NULL;
    for (size_t i = 0; i < sizeof aws_enum_order / sizeof aws_enum_order[0]; i++) {
        if (strcmp(aws_enum_order[i].shape, s->name) != 0)
            continue;
        size_t n = 0, found = 0;
        while (n < 8 && aws_enum_order[i].values[n])
            n++;
        for (size_t a = 0; a < n; a++)
            for (size_t b = 0; b < s->n_enums; b++)
                if (strcmp(aws_enum_order[i].values[a], s->enums[b]) == 0)
                    found++;
        if (n == s->n_enums && found == n)
            order = aws_enum_order[i].values;
    }
    strbuf sb = {0};
    sb_add(&sb, "[");
    for (size_t i = 0; i < s->n_enums; i++) {
        if (i)
            sb_add(&sb, ", ");
        sb_add(&sb, order ? order[i] : s->enums[i]);
    }
    sb_add(&sb, "]");
    if (sb.oom) {
        free(sb.buf);
        return NULL;
    }
    return sb.buf;
}

static int load_shape(sim_model *m, shape *s, char *err, size_t err_len)
{
    json_t *d = s->def;
    const char *type = json_string_value(json_object_get(d, "type"));
    if (!type || kind_from_type(type, &s->kind) != 0) {
        set_msg(err, err_len, "shape %s: unknown type %s", s->name, type ? type : "(none)");
        return -1;
    }
    json_t *v;
    if ((v = json_object_get(d, "min")) && json_is_number(v)) {
        s->has_min = 1;
        s->min = (long long)json_number_value(v);
    }
    if ((v = json_object_get(d, "max")) && json_is_number(v)) {
        s->has_max = 1;
        s->max = (long long)json_number_value(v);
    }
    if ((v = json_object_get(d, "pattern")) && json_is_string(v)) {
        char posix[1024];
        s->pattern = strdup(json_string_value(v));
        if (!s->pattern)
            return -1;
        if (sim_regex_java_to_posix(s->pattern, posix, sizeof posix) != 0) {
            set_msg(err, err_len, "shape %s: pattern %s cannot be translated", s->name, s->pattern);
            return -1;
        }
        if (!(s->posix = strdup(posix)))
            return -1;
    }
    if ((v = json_object_get(d, "enum")) && json_is_array(v) && json_array_size(v) > 0) {
        s->n_enums = json_array_size(v);
        s->enums = calloc(s->n_enums, sizeof(char *));
        if (!s->enums)
            return -1;
        for (size_t i = 0; i < s->n_enums; i++) {
            const char *e = json_string_value(json_array_get(v, i));
            if (!e || !(s->enums[i] = strdup(e))) {
                set_msg(err, err_len, "shape %s: bad enum value", s->name);
                return -1;
            }
        }
        if (!(s->enum_text = build_enum_text(s)))
            return -1;
    }
    switch (s->kind) {
    case K_LIST:
        if (!(s->list_member = ref_shape(m, json_object_get(d, "member")))) {
            set_msg(err, err_len, "list %s: unknown member shape", s->name);
            return -1;
        }
        break;
    case K_MAP:
        s->map_key = ref_shape(m, json_object_get(d, "key"));
        s->map_value = ref_shape(m, json_object_get(d, "value"));
        if (!s->map_key || !s->map_value) {
            set_msg(err, err_len, "map %s: unknown key or value shape", s->name);
            return -1;
        }
        break;
    case K_STRUCTURE: {
        json_t *members = json_object_get(d, "members");
        json_t *required = json_object_get(d, "required");
        s->n_members = json_object_size(members);
        if (s->n_members == 0)
            break;
        s->members = calloc(s->n_members, sizeof(member));
        if (!s->members)
            return -1;
        size_t i = 0;
        const char *key;
        json_t *mv;
        json_object_foreach(members, key, mv)
        {
            member *mb = &s->members[i++];
            mb->name = strdup(key);
            mb->path_name = strdup(key);
            if (!mb->name || !mb->path_name)
                return -1;
            if (mb->path_name[0] >= 'A' && mb->path_name[0] <= 'Z')
                mb->path_name[0] = (char)(mb->path_name[0] - 'A' + 'a');
            if (!(mb->target = ref_shape(m, mv))) {
                set_msg(err, err_len, "structure %s: member %s has an unknown shape", s->name, key);
                return -1;
            }
            size_t r;
            json_t *rv;
            json_array_foreach(required, r, rv)
            {
                if (json_is_string(rv) && strcmp(json_string_value(rv), key) == 0)
                    mb->required = 1;
            }
        }
        break;
    }
    default:
        break;
    }
    return 0;
}

static void shape_free(shape *s)
{
    free(s->name);
    free(s->pattern);
    free(s->posix);
    if (atomic_load(&s->re_state) == 1)
        regfree(&s->re);
    for (size_t i = 0; i < s->n_enums; i++)
        free(s->enums ? s->enums[i] : NULL);
    free(s->enums);
    free(s->enum_text);
    for (size_t i = 0; i < s->n_members && s->members; i++) {
        free(s->members[i].name);
        free(s->members[i].path_name);
    }
    free(s->members);
    free(s->compound);
}

void sim_model_free(sim_model *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_shapes; i++)
        shape_free(&m->shapes[i]);
    free(m->shapes);
    for (size_t i = 0; i < m->n_ops; i++)
        free(m->ops[i].name);
    free(m->ops);
    free(m);
}

sim_model *sim_model_load_json(const char *json, size_t len, char *err, size_t err_len)
{
    set_msg(err, err_len, "%s", "");
    json_error_t jerr;
    load_arena arena;
    json_t *root = NULL; /* the fast reader first (start-up time); Jansson for what it declines */
    arena_begin(&arena); /* the tree and Jansson's scratch go into the arena (see above) */
    if (!sim_json_fast_parse(json, len, &root))
        root = json_loadb(json, len, 0, &jerr);
    tl_arena = NULL; /* nothing below allocates through Jansson; the tree is only read */
    if (!root) {
        set_msg(err, err_len, "model: JSON error at line %d: %s", jerr.line, jerr.text);
        arena_end(&arena);
        return NULL;
    }
    sim_model *m = calloc(1, sizeof *m);
    json_t *shapes = json_object_get(root, "shapes");
    json_t *ops = json_object_get(root, "operations");
    if (!m || !json_is_object(shapes) || !json_is_object(ops)) {
        set_msg(err, err_len, "%s", m ? "model: no shapes or operations" : "out of memory");
        goto fail;
    }
    m->shapes = calloc(json_object_size(shapes) + 1, sizeof(shape));
    m->ops = calloc(json_object_size(ops) + 1, sizeof(operation));
    if (!m->shapes || !m->ops)
        goto oom;
    const char *key;
    json_t *v;
    json_object_foreach(shapes, key, v)
    {
        shape *s = &m->shapes[m->n_shapes++];
        if (!(s->name = strdup(key)))
            goto oom;
        s->def = v;
    }
    qsort(m->shapes, m->n_shapes, sizeof(shape), shape_cmp);
    for (size_t i = 0; i < m->n_shapes; i++) {
        if (!json_is_object(m->shapes[i].def)) {
            set_msg(err, err_len, "shape %s is not an object", m->shapes[i].name);
            goto fail;
        }
        if (load_shape(m, &m->shapes[i], err, err_len) != 0) {
            if (!err || !err[0])
                goto oom;
            goto fail;
        }
    }
    for (size_t i = 0; i < m->n_shapes; i++) {
        shape *s = &m->shapes[i];
        s->def = NULL;
        if (s->has_min || s->has_max || s->pattern || s->enum_text) {
            if (!(s->compound = build_compound(s)))
                goto oom;
        }
    }
    json_object_foreach(ops, key, v)
    {
        operation *o = &m->ops[m->n_ops++];
        if (!(o->name = strdup(key)))
            goto oom;
        json_t *in = json_object_get(v, "input");
        if (in && !(o->input = ref_shape(m, in))) {
            set_msg(err, err_len, "operation %s: unknown input shape", key);
            goto fail;
        }
        if (o->input && o->input->kind != K_STRUCTURE) {
            set_msg(err, err_len, "operation %s: input is not a structure", key);
            goto fail;
        }
    }
    qsort(m->ops, m->n_ops, sizeof(operation), op_cmp);
    arena_end(&arena); /* frees the tree: nothing in m points into it */
    return m;
oom:
    set_msg(err, err_len, "out of memory");
fail:
    for (size_t i = 0; m && m->shapes && i < m->n_shapes; i++)
        m->shapes[i].def = NULL;
    sim_model_free(m);
    arena_end(&arena);
    return NULL;
}

sim_model *sim_model_load(char *err, size_t err_len)
{
    return sim_model_load_json((const char *)sim_model_json, sim_model_json_len, err, err_len);
}

static const operation *find_op(const sim_model *m, const char *name)
{
    if (!m || !name)
        return NULL;
    operation key;
    key.name = (char *)name;
    return bsearch(&key, m->ops, m->n_ops, sizeof(operation), op_cmp);
}

int sim_model_has_operation(const sim_model *m, const char *op)
{
    return find_op(m, op) != NULL;
}

size_t sim_model_operation_count(const sim_model *m)
{
    return m ? m->n_ops : 0;
}

const char *sim_model_operation_name(const sim_model *m, size_t i)
{
    return (m && i < m->n_ops) ? m->ops[i].name : NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Pass 1: types (SerializationException)                                                      */
/* ------------------------------------------------------------------------------------------ */

static const char *java_number_name(shape_kind k)
{
    switch (k) {
    case K_LONG:
        return "Long";
    case K_DOUBLE:
        return "Double";
    case K_FLOAT:
        return "Float";
    default:
        return "Integer";
    }
}

/* UTF-16 code units of a valid UTF-8 string (Java's String.length()). */
static size_t utf16_len(const char *s, size_t n)
{
    size_t units = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c & 0xc0) != 0x80)
            units += (c >= 0xf0) ? 2 : 1;
    }
    return units;
}

static int type_error(char *msg, size_t msg_len, const char *text)
{
    set_msg(msg, msg_len, "%s", text);
    return -1;
}

/* Wording for JSON containers where a scalar was expected. */
static int container_error(const json_t *v, char *msg, size_t msg_len)
{
    return type_error(msg, msg_len,
                      json_is_array(v) ? "Start of list found where not expected"
                                       : "Start of structure or map found where not expected.");
}

static int check_blob_text(const json_t *v, char *msg, size_t msg_len)
{
    const char *s = json_string_value(v);
    size_t n = json_string_length(v), bad = 0;
    b64_status st = b64_check(s, n, NULL, &bad);
    if (st == B64_OK)
        return 0;
    if (st == B64_BAD_LENGTH || utf16_len(s, n) % 4 != 0) {
        set_msg(
            msg, msg_len,
            "'%s' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes "
            "but found: %zu",
            s, utf16_len(s, n));
    } else if (st == B64_BAD_CHAR) {
        /* Quote the whole (UTF-8) character at the offending position. */
        size_t clen = 1;
        unsigned char c = (unsigned char)s[bad];
        if (c >= 0xf0)
            clen = 4;
        else if (c >= 0xe0)
            clen = 3;
        else if (c >= 0xc0)
            clen = 2;
        if (bad + clen > n)
            clen = n - bad;
        set_msg(msg, msg_len, "'%s' can not be converted to a Blob: Invalid Base64 character: '%.*s'", s,
                (int)clen, s + bad);
    } else {
        /* "dectected" is AWS's spelling. */
        set_msg(msg, msg_len,
                "'%s' can not be converted to a Blob: Invalid last non-pad Base64 character dectected", s);
    }
    return -1;
}

static int check_type(const shape *s, json_t *v, char *msg, size_t msg_len);

static int check_struct_type(const shape *s, json_t *v, char *msg, size_t msg_len)
{
    if (json_is_array(v))
        return type_error(msg, msg_len, "Start of list found where not expected");
    if (!json_is_object(v))
        return type_error(msg, msg_len, "Expected null");
    const char *key;
    json_t *val;
    json_object_foreach(v, key, val)
    {
        if (json_is_null(val))
            continue;
        for (size_t i = 0; i < s->n_members; i++) {
            if (strcmp(s->members[i].name, key) == 0) {
                if (check_type(s->members[i].target, val, msg, msg_len) != 0)
                    return -1;
                break;
            }
        }
    }
    return 0;
}

static int check_type(const shape *s, json_t *v, char *msg, size_t msg_len)
{
    if (json_is_null(v))
        return 0;
    switch (s->kind) {
    case K_STRUCTURE:
        return check_struct_type(s, v, msg, msg_len);
    case K_LIST: {
        if (json_is_object(v))
            return type_error(msg, msg_len, "Start of structure or map found where not expected.");
        if (!json_is_array(v))
            return type_error(msg, msg_len, "Expected list or null");
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e)
        {
            if (check_type(s->list_member, e, msg, msg_len) != 0)
                return -1;
        }
        return 0;
    }
    case K_MAP: {
        if (json_is_array(v))
            return type_error(msg, msg_len, "Start of list found where not expected");
        if (!json_is_object(v))
            return type_error(msg, msg_len, "Expected map or null");
        const char *key;
        json_t *e;
        json_object_foreach(v, key, e)
        {
            if (check_type(s->map_value, e, msg, msg_len) != 0)
                return -1;
        }
        return 0;
    }
    case K_STRING:
        if (json_is_string(v))
            return 0;
        if (json_is_boolean(v))
            return type_error(msg, msg_len, "class java.lang.Boolean can not be converted to an String");
        if (json_is_number(v))
            return type_error(msg, msg_len,
                              "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be "
                              "converted to an String");
        return container_error(v, msg, msg_len);
    case K_BLOB:
        if (json_is_string(v))
            return check_blob_text(v, msg, msg_len);
        if (json_is_boolean(v))
            return type_error(msg, msg_len, "class java.lang.Boolean can not be converted to a Blob");
        if (json_is_number(v))
            return type_error(msg, msg_len,
                              "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be "
                              "converted to a Blob");
        return container_error(v, msg, msg_len);
    case K_INTEGER:
    case K_LONG:
    case K_DOUBLE:
    case K_FLOAT:
        if (json_is_number(v))
            return 0;
        if (json_is_boolean(v)) {
            set_msg(msg, msg_len, "class java.lang.Boolean can not be converted to an %s",
                    java_number_name(s->kind));
            return -1;
        }
        if (json_is_string(v)) {
            set_msg(msg, msg_len, "class java.lang.String can not be converted to an %s",
                    java_number_name(s->kind));
            return -1;
        }
        return container_error(v, msg, msg_len);
    case K_BOOLEAN:
        if (json_is_boolean(v))
            return 0;
        if (json_is_number(v))
            return type_error(msg, msg_len,
                              "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be "
                              "converted to an Boolean");
        if (json_is_string(v)) {
            /* AWS quotes the value upper-cased. */
            const char *s0 = json_string_value(v);
            size_t n = strlen(s0);
            char up[256];
            size_t k = n < sizeof up - 1 ? n : sizeof up - 1;
            for (size_t i = 0; i < k; i++)
                up[i] = (s0[i] >= 'a' && s0[i] <= 'z') ? (char)(s0[i] - 'a' + 'A') : s0[i];
            up[k] = '\0';
            set_msg(msg, msg_len, "'%s' can not be converted to an Boolean", up);
            return -1;
        }
        return container_error(v, msg, msg_len);
    case K_TIMESTAMP:
        if (json_is_number(v))
            return 0;
        if (json_is_boolean(v))
            return type_error(msg, msg_len,
                              "class java.lang.Boolean can not be converted to milliseconds since epoch");
        if (json_is_string(v))
            return type_error(msg, msg_len,
                              "class java.lang.String can not be converted to milliseconds since epoch");
        return container_error(v, msg, msg_len);
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Pass 2: constraints (ValidationException)                                                   */
/* ------------------------------------------------------------------------------------------ */

/* Decoded length of base64 text that pass 1 already found valid (no rescan). */
static size_t blob_len(const json_t *v)
{
    const char *s = json_string_value(v);
    size_t n = json_string_length(v), pad = 0;
    if (!s || n < 4)
        return 0;
    while (pad < 2 && s[n - 1 - pad] == '=')
        pad++;
    return n / 4 * 3 - pad;
}

static long long integer_value(const json_t *v, shape_kind k)
{
    double d;
    long long n;
    if (json_is_integer(v)) {
        n = (long long)json_integer_value(v);
    } else if (json_is_real(v)) {
        d = floor(json_real_value(v));
        if (d >= 9.2e18)
            n = INT64_MAX;
        else if (d <= -9.2e18)
            n = INT64_MIN;
        else
            n = (long long)d;
    } else {
        return 0;
    }
    if (k == K_INTEGER) {
        if (n > INT32_MAX)
            n = INT32_MAX;
        if (n < INT32_MIN)
            n = INT32_MIN;
    }
    return n;
}

long long sim_validate_integer(const json_t *v)
{
    return integer_value(v, K_INTEGER);
}

typedef struct {
    strbuf sb; /* joined error texts */
    int count; /* errors listed (<= SIM_VALIDATE_MAX_ERRORS) */
    char path[1024];
    size_t path_len;
} vctx;

static int full(const vctx *c)
{
    return c->count >= SIM_VALIDATE_MAX_ERRORS;
}

/* Append ".name" (or "name" at the top) to the path; returns the old length for restoring.
 * A path too long for the buffer is cut (the message then shows the cut path). */
static size_t path_push(vctx *c, const char *name)
{
    size_t old = c->path_len, room = sizeof c->path - 1 - old, n = strlen(name);
    char *p = c->path + old;
    if (old && room > 0) {
        *p++ = '.';
        room--;
    }
    if (n > room)
        n = room;
    memcpy(p, name, n);
    p[n] = '\0';
    c->path_len = (size_t)(p + n - c->path);
    return old;
}

/* Decimal form of a list index (1-based in paths). */
static void format_index(size_t i, char out[24])
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + i % 10);
        i /= 10;
    } while (i && n < sizeof tmp);
    for (size_t k = 0; k < n; k++)
        out[k] = tmp[n - 1 - k];
    out[n] = '\0';
}

static void path_pop(vctx *c, size_t old)
{
    c->path_len = old;
    c->path[old] = '\0';
}

/* FNV-1a over a JSON value's contents: stands in for Java's hashCode in "Shape@hash". */
static uint32_t fnv_add(uint32_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

static uint32_t json_hash(const json_t *v, uint32_t h)
{
    char tmp[64];
    int n;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *e;
        json_object_foreach((json_t *)v, key, e)
        {
            h = fnv_add(h, key, strlen(key));
            h = json_hash(e, h);
        }
        return fnv_add(h, "}", 1);
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *e;
        json_array_foreach((json_t *)v, i, e) h = json_hash(e, h);
        return fnv_add(h, "]", 1);
    }
    case JSON_STRING:
        return fnv_add(h, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        n = snprintf(tmp, sizeof tmp, "%lld", (long long)json_integer_value(v));
        return fnv_add(h, tmp, (size_t)n);
    case JSON_REAL:
        n = snprintf(tmp, sizeof tmp, "%.17g", json_real_value(v));
        return fnv_add(h, tmp, (size_t)n);
    case JSON_TRUE:
        return fnv_add(h, "t", 1);
    case JSON_FALSE:
        return fnv_add(h, "f", 1);
    default:
        return fnv_add(h, "n", 1);
    }
}

/* The value as AWS prints it inside Value '...'. */
static void value_text(strbuf *sb, const shape *s, const json_t *v)
{
    if (!v || json_is_null(v)) {
        sb_add(sb, "null");
        return;
    }
    switch (s->kind) {
    case K_STRING:
        if (json_is_string(v))
            sb_addn(sb, json_string_value(v), json_string_length(v));
        return;
    case K_BLOB: {
        size_t n = blob_len(v);
        sb_printf(sb, "java.nio.HeapByteBuffer[pos=0 lim=%zu cap=%zu]", n, n);
        return;
    }
    case K_INTEGER:
    case K_LONG:
        sb_printf(sb, "%lld", integer_value(v, s->kind));
        return;
    case K_DOUBLE:
    case K_FLOAT:
        sb_printf(sb, "%.17g", json_number_value(v));
        return;
    case K_BOOLEAN:
        sb_add(sb, json_is_true(v) ? "true" : "false");
        return;
    case K_TIMESTAMP:
        sb_printf(sb, "%.17g", json_number_value(v));
        return;
    case K_LIST: {
        size_t i;
        json_t *e;
        sb_add(sb, "[");
        json_array_foreach((json_t *)v, i, e)
        {
            if (i)
                sb_add(sb, ", ");
            value_text(sb, s->list_member, e);
        }
        sb_add(sb, "]");
        return;
    }
    case K_MAP: {
        const char *key;
        json_t *e;
        int first = 1;
        sb_add(sb, "{");
        json_object_foreach((json_t *)v, key, e)
        {
            if (!first)
                sb_add(sb, ", ");
            first = 0;
            sb_add(sb, key);
            sb_add(sb, "=");
            value_text(sb, s->map_value, e);
        }
        sb_add(sb, "}");
        return;
    }
    case K_STRUCTURE:
        /* Java's default toString of the request object: class@hashCode in hex, no padding. */
        sb_printf(sb, "com.amazonaws.kinesis.v20131202.%s@%x", s->name, (unsigned)json_hash(v, 2166136261u));
        return;
    }
}

static void add_error(vctx *c, const shape *s, const json_t *v, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add_error(vctx *c, const shape *s, const json_t *v, const char *fmt, ...)
{
    if (full(c))
        return;
    if (c->count++)
        sb_add(&c->sb, "; ");
    sb_add(&c->sb, "Value ");
    if (!v || json_is_null(v)) {
        sb_add(&c->sb, "null");
    } else {
        sb_add(&c->sb, "'");
        value_text(&c->sb, s, v);
        sb_add(&c->sb, "'");
    }
    sb_add(&c->sb, " at '");
    sb_addn(&c->sb, c->path, c->path_len);
    sb_add(&c->sb, "' failed to satisfy constraint: ");
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        sb_addn(&c->sb, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* The shape's compiled pattern, compiled on the first call (double-checked under re_lock, so
 * concurrent validations compile it once); NULL when it does not compile. */
static pthread_mutex_t re_lock = PTHREAD_MUTEX_INITIALIZER;

static const regex_t *shape_regex(const shape *cs)
{
    shape *s = (shape *)cs; /* the lazily filled part of a shape is written only here */
    int state = atomic_load_explicit(&s->re_state, memory_order_acquire);
    if (state == 0) {
        pthread_mutex_lock(&re_lock);
        state = atomic_load_explicit(&s->re_state, memory_order_relaxed);
        if (state == 0) {
            state = regcomp(&s->re, s->posix, REG_EXTENDED | REG_NOSUB) == 0 ? 1 : -1;
            atomic_store_explicit(&s->re_state, state, memory_order_release);
        }
        pthread_mutex_unlock(&re_lock);
    }
    return state == 1 ? &s->re : NULL;
}

/* Does str satisfy the shape's pattern (when it has one)? A pattern that does not compile
 * satisfies nothing. */
static int pattern_ok(const shape *s, const char *str)
{
    if (!s->posix)
        return 1;
    const regex_t *re = shape_regex(s);
    return re && regexec(re, str, 0, NULL, 0) == 0;
}

/* Does a scalar satisfy every constraint of its shape? (for compound list/map checks)
 * v is the element (NULL or JSON null fails); for a map key pass key instead. */
static int scalar_ok(const shape *s, const json_t *v, const char *key)
{
    const char *str = key ? key : json_string_value(v);
    size_t len = key ? strlen(key) : json_string_length(v);
    if (!key && (!v || json_is_null(v)))
        return 0;
    long long n;
    switch (s->kind) {
    case K_STRING:
        if (!str)
            return 0;
        if (!pattern_ok(s, str))
            return 0;
        if (s->n_enums) {
            size_t i;
            for (i = 0; i < s->n_enums; i++)
                if (strcmp(s->enums[i], str) == 0)
                    break;
            if (i == s->n_enums)
                return 0;
        }
        n = (long long)utf16_len(str, len);
        break;
    case K_BLOB:
        if (!str || key)
            return key == NULL ? 0 : 1;
        n = (long long)blob_len(v);
        break;
    case K_INTEGER:
    case K_LONG:
        if (key)
            return 1;
        n = integer_value(v, s->kind);
        break;
    default:
        return 1;
    }
    if (s->has_min && n < s->min)
        return 0;
    if (s->has_max && n > s->max)
        return 0;
    return 1;
}

static void check_value(vctx *c, const shape *s, const json_t *v);

static void check_struct(vctx *c, const shape *s, const json_t *obj)
{
    for (size_t i = 0; i < s->n_members && !full(c); i++) {
        const member *mb = &s->members[i];
        json_t *v = json_object_get(obj, mb->name);
        if (v && json_is_null(v))
            v = NULL;
        if (!v && !mb->required)
            continue;
        size_t old = path_push(c, mb->path_name);
        if (!v)
            add_error(c, mb->target, NULL, "Member must not be null");
        else
            check_value(c, mb->target, v);
        path_pop(c, old);
    }
}

static void check_range(vctx *c, const shape *s, const json_t *v, long long n, const char *what)
{
    if (s->has_min && n < s->min)
        add_error(c, s, v, "Member must have %s greater than or equal to %lld", what, s->min);
    if (s->has_max && n > s->max)
        add_error(c, s, v, "Member must have %s less than or equal to %lld", what, s->max);
}

static void check_value(vctx *c, const shape *s, const json_t *v)
{
    switch (s->kind) {
    case K_STRING: {
        const char *str = json_string_value(v);
        if (!str)
            return;
        if (!pattern_ok(s, str))
            add_error(c, s, v, "Member must satisfy regular expression pattern: %s", s->pattern);
        if (s->n_enums) {
            size_t i;
            for (i = 0; i < s->n_enums; i++)
                if (strcmp(s->enums[i], str) == 0)
                    break;
            if (i == s->n_enums)
                add_error(c, s, v, "Member must satisfy enum value set: %s", s->enum_text);
        }
        if (s->has_min || s->has_max)
            check_range(c, s, v, (long long)utf16_len(str, json_string_length(v)), "length");
        return;
    }
    case K_BLOB:
        if (!json_is_string(v))
            return;
        check_range(c, s, v, (long long)blob_len(v), "length");
        return;
    case K_INTEGER:
    case K_LONG:
        check_range(c, s, v, integer_value(v, s->kind), "value");
        return;
    case K_LIST: {
        if (!json_is_array(v))
            return;
        check_range(c, s, v, (long long)json_array_size(v), "length");
        const shape *ms = s->list_member;
        size_t i;
        json_t *e;
        if (ms->kind == K_STRUCTURE || ms->kind == K_LIST || ms->kind == K_MAP) {
            json_array_foreach((json_t *)v, i, e)
            {
                if (full(c))
                    break;
                char idx[24];
                format_index(i + 1, idx);
                size_t old = path_push(c, idx);
                size_t old2 = path_push(c, "member");
                if (json_is_null(e))
                    add_error(c, ms, NULL, "Member must not be null");
                else
                    check_value(c, ms, e);
                path_pop(c, old2);
                path_pop(c, old);
            }
        } else if (ms->compound) {
            json_array_foreach((json_t *)v, i, e)
            {
                if (!scalar_ok(ms, e, NULL)) {
                    add_error(c, s, v, "Member must satisfy constraint: %s", ms->compound);
                    break;
                }
            }
        }
        return;
    }
    case K_MAP: {
        if (!json_is_object(v))
            return;
        check_range(c, s, v, (long long)json_object_size(v), "length");
        const char *key;
        json_t *e;
        if (s->map_key->compound) {
            json_object_foreach((json_t *)v, key, e)
            {
                if (!scalar_ok(s->map_key, NULL, key)) {
                    add_error(c, s, v, "Map keys must satisfy constraint: %s", s->map_key->compound);
                    break;
                }
            }
        }
        const shape *vs = s->map_value;
        if (vs->kind == K_STRUCTURE || vs->kind == K_LIST || vs->kind == K_MAP) {
            json_object_foreach((json_t *)v, key, e)
            {
                if (full(c))
                    break;
                size_t old = path_push(c, key);
                check_value(c, vs, e);
                path_pop(c, old);
            }
        } else if (vs->compound) {
            json_object_foreach((json_t *)v, key, e)
            {
                if (!scalar_ok(vs, e, NULL)) {
                    add_error(c, s, v, "Map value must satisfy constraint: %s", vs->compound);
                    break;
                }
            }
        }
        return;
    }
    case K_STRUCTURE:
        if (json_is_object(v))
            check_struct(c, s, v);
        return;
    default:
        return;
    }
}

int sim_validate_input(const sim_model *m, const char *op, const json_t *in, sim_error_code *err, char *msg,
                       size_t msg_len)
{
    set_msg(msg, msg_len, "%s", "");
    const operation *o = find_op(m, op);
    if (!o) {
        *err = SIM_ERR_UnknownOperationException;
        return -1;
    }
    if (!in || !json_is_object(in)) {
        /* AWS answers a body that is not a JSON object with a bare SerializationException;
         * an empty message here means "send no message". */
        *err = SIM_ERR_SerializationException;
        if (in && json_is_array(in))
            set_msg(msg, msg_len, "%s", "Start of list found where not expected");
        return -1;
    }
    if (!o->input)
        return 0;
    if (check_struct_type(o->input, (json_t *)in, msg, msg_len) != 0) {
        *err = SIM_ERR_SerializationException;
        return -1;
    }
    vctx c;
    memset(&c.sb, 0, sizeof c.sb);
    c.count = 0;
    c.path[0] = '\0';
    c.path_len = 0;
    check_struct(&c, o->input, in);
    if (c.count == 0) {
        free(c.sb.buf);
        return 0;
    }
    *err = SIM_ERR_ValidationException;
    set_msg(msg, msg_len, "%d validation error%s detected: %s", c.count, c.count > 1 ? "s" : "",
            c.sb.oom ? "(out of memory)" : c.sb.buf);
    free(c.sb.buf);
    return -1;
}
