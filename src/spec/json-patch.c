/*
 * json-patch.c -- RFC 6902 JSON Patch and RFC 6901 JSON Pointer on jansson trees.
 *
 * pyhf applies patches (signal points of a patchset, or --patch files) with the Python jsonpatch
 * package; this file gives the same results. A patch is applied to a copy of the document, and the
 * copy replaces the original only when every operation succeeded, so a failed patch leaves the
 * workspace as it was. Errors name the operation as "/<index>" in err->pointer (the pointer of the
 * operation inside the patch document) and describe the failure in msg, for instance
 *   /3: test failed: value at /channels/0/name is "SR", expected "CR"
 *   /0: remove failed: path /channels/7 does not exist (array /channels has 2 elements)
 * "test" compares values as Python does for JSON data: 1 equals 1.0, objects compare without regard
 * to key order. Unlike Python, true is not equal to 1 (a quirk of Python's bool we do not copy).
 *
 * Copy-on-write. Workspace trees share their nodes: hfx_workspace_copy() only takes a reference to
 * the root, and a scan over signal points patches many such copies of one background tree, often
 * from several threads. jansson counts references (atomically), and the rule that keeps shared
 * nodes intact is:
 *
 *   NEVER MUTATE A JSON CONTAINER WHOSE REFERENCE COUNT IS ABOVE 1.
 *
 * A node whose count is 1 and that is reached from a tree we own belongs to that tree alone (every
 * other tree, thread or patch document that could see it would hold a reference of its own), so it
 * may be changed in place. Before an operation changes a container, walk_own() walks the path to it
 * from the root and replaces every shared container on the way (the root included) by a shallow
 * copy (json_copy: a new container holding new references to the same children), stored in its
 * parent, which is by then owned. Only the containers along the path are copied; everything else
 * stays shared. Consequences:
 * - The atomic copy of the document is a new reference to its root, not a deep copy: the first
 *   change copies the root, and on failure the working root is simply released.
 * - Values inserted by add and replace are the patch document's own nodes, taken by reference, and
 *   copy/move share the source node: the patch (or the other place in the tree) holds a reference
 *   too, so none of them is ever changed in place while shared.
 * - A source node is referenced before walk_own() runs for its destination, so that replacing it
 *   along the way cannot free it.
 * - Nothing else in src/spec mutates a workspace tree (spec-build.c and patchset.c only change JSON
 *   objects they created themselves and never shared); freeing a workspace is one json_decref().
 * Reading the count uses an acquire load, paired with jansson's release decrement, so that a node
 * another thread has just let go of is seen as ours together with everything that thread wrote.
 *
 * Limits. Sharing makes "copy /a to /a/x" cost O(1) while it adds a level of nesting, and copying a
 * node into two places doubles the document seen as a tree: a loop of such operations builds a
 * document that every later walk (validation, dumping, freeing, messages) would overflow the stack
 * on or never finish. Each value an operation puts in place is measured as a tree, stopping at the
 * limits: the result may nest at most HFX_JSON_DEPTH_MAX deep (the parser's own limit, so trees read
 * and trees built obey the same bound) and one patch may place at most HFX_PATCH_VALUES_MAX values.
 * Every recursive walk in this file is bounded by the depth limit.
 */
#include "spec/spec.h"

#include <string.h>

//
// JSON Pointer (RFC 6901)
//

/* A parsed pointer: n unescaped tokens; the whole thing is one malloc'd block. */
struct json_ptr {
    size_t n;
    char ** tok;
};

static void ptr_free(struct json_ptr * p) {
    free(p->tok);
    p->tok = NULL;
    p->n   = 0;
}

/* ptr_parse's reason when the token table cannot be allocated (the caller's HFX_ERR_ALLOC). */
static const char ptr_oom[] = "out of memory for its tokens";

/* Parses s into tokens, unescaping ~0 and ~1. Returns false (and a reason in why) if s is malformed. */
static bool ptr_parse(const char * s, struct json_ptr * p, const char ** why) {
    p->n   = 0;
    p->tok = NULL;
    if (s[0] == '\0') {
        return true; /* the whole document */
    }
    if (s[0] != '/') {
        *why = "a JSON pointer must be empty or start with '/'";
        return false;
    }
    size_t n = 0, len = strlen(s);
    for (size_t i = 0; i < len; i++) {
        n += s[i] == '/';
    }
    /* Token pointers, then the unescaped text (never longer than s). */
    char ** tok = hfx__malloc(n * sizeof *tok + len + 1);
    if (!tok) {
        *why = ptr_oom;
        return false;
    }
    char * out = (char *) (tok + n);
    size_t k   = 0;
    for (const char * c = s; *c;) {
        c++; /* skip '/' */
        tok[k++] = out;
        for (; *c && *c != '/'; c++) {
            if (*c == '~') {
                if (c[1] == '0') {
                    *out++ = '~';
                } else if (c[1] == '1') {
                    *out++ = '/';
                } else {
                    free(tok);
                    *why = "'~' must be followed by 0 or 1 in a JSON pointer";
                    return false;
                }
                c++;
            } else {
                *out++ = *c;
            }
        }
        *out++ = '\0';
    }
    p->n   = n;
    p->tok = tok;
    return true;
}

/* RFC 6901 array index: "0" or digits without a leading zero, within size_t. */
static bool parse_index(const char * t, size_t * idx) {
    if (t[0] < '0' || t[0] > '9' || (t[0] == '0' && t[1] != '\0')) {
        return false;
    }
    size_t v = 0;
    for (; *t; t++) {
        if (*t < '0' || *t > '9' || v > (SIZE_MAX - 9) / 10) {
            return false;
        }
        v = v * 10 + (size_t) (*t - '0');
    }
    *idx = v;
    return true;
}

/* The child of node named by token, or NULL. */
static json_t * child(json_t * node, const char * token) {
    if (json_is_object(node)) {
        return json_object_get(node, token);
    }
    size_t i;
    if (json_is_array(node) && parse_index(token, &i)) {
        return json_array_get(node, i);
    }
    return NULL;
}

/* Resolves the first n tokens; on failure returns NULL and sets *fail to the index of the token that
 * could not be followed. */
static json_t * walk(json_t * root, const struct json_ptr * p, size_t n, size_t * fail) {
    json_t * node = root;
    for (size_t i = 0; i < n; i++) {
        json_t * next = child(node, p->tok[i]);
        if (!next) {
            *fail = i;
            return NULL;
        }
        node = next;
    }
    return node;
}

/* The reference count of v (see the copy-on-write rule at the top of the file). */
static size_t refcount(const json_t * v) {
#if JSON_HAVE_ATOMIC_BUILTINS
    return __atomic_load_n(&v->refcount, __ATOMIC_ACQUIRE);
#else
    return v->refcount;
#endif
}

/* True if v is a container that other references share, so that it must be copied before a change. */
static bool shared_container(const json_t * v) {
    return (json_is_object(v) || json_is_array(v)) && refcount(v) > 1;
}

/* json_copy(v), or NULL where it could not copy every member: jansson 2.14's shallow copy leaves out
 * a member whose insertion ran out of memory and returns the rest. */
static json_t * copy_container(json_t * v) {
    json_t * c = json_copy(v);
    if (c && (json_is_object(v) ? json_object_size(c) != json_object_size(v)
                                : json_array_size(c) != json_array_size(v))) {
        json_decref(c);
        c = NULL;
    }
    return c;
}

/* Resolves the first n tokens as walk() does, and makes the root and every container on the way
 * (the one returned included) owned by this tree alone, copying shared ones shallowly and storing
 * the copies in their (owned) parents. Sets *oom (and returns NULL) when a copy cannot be made. */
static json_t * walk_own(json_t ** root, const struct json_ptr * p, size_t n, size_t * fail, bool * oom) {
    *oom = false;
    if (!walk(*root, p, n, fail)) {
        return NULL;
    }
    if (shared_container(*root)) {
        json_t * c = copy_container(*root);
        if (!c) {
            *oom = true;
            return NULL;
        }
        json_decref(*root);
        *root = c;
    }
    json_t * node = *root;
    for (size_t i = 0; i < n; i++) {
        json_t * next = child(node, p->tok[i]);
        if (shared_container(next)) {
            json_t * c = copy_container(next);
            size_t   idx = 0;
            /* node is owned; setting a member in place keeps its position among the keys */
            if (!c || (json_is_object(node) ? json_object_set_new(node, p->tok[i], c)
                                            : (parse_index(p->tok[i], &idx), json_array_set_new(node, idx, c))) != 0) {
                *oom = true;
                return NULL;
            }
            next = c;
        }
        node = next;
    }
    return node;
}

json_t * hfx__json_pointer_get(json_t * doc, const char * pointer) {
    if (!doc || !pointer) {
        return NULL;
    }
    struct json_ptr p;
    const char *    why = NULL;
    if (!ptr_parse(pointer, &p, &why)) {
        return NULL;
    }
    size_t   fail = 0;
    json_t * node = walk(doc, &p, p.n, &fail);
    ptr_free(&p);
    return node;
}

//
// Limits
//

/* What is left of the patch's allowance of values (HFX_PATCH_VALUES_MAX). */
struct budget {
    size_t values_left;
};

/* Nesting depth of v (0 for a scalar, 1 + its deepest child for a container), walking v as a tree
 * and charging every node to b. Stops, returning max_depth + 1, as soon as v is deeper than
 * max_depth or b runs out (*out_of_values is then set). */
static size_t measure(const json_t * v, size_t max_depth, struct budget * b, bool * out_of_values) {
    if (b->values_left == 0) {
        *out_of_values = true;
        return max_depth + 1;
    }
    b->values_left--;
    if (!json_is_object(v) && !json_is_array(v)) {
        return 0;
    }
    if (max_depth == 0) {
        return 1;
    }
    size_t deepest = 0;
    if (json_is_object(v)) {
        const char * key;
        json_t *     child;
        json_object_foreach((json_t *) v, key, child) {
            size_t d = measure(child, max_depth - 1, b, out_of_values);
            deepest  = d > deepest ? d : deepest;
            if (deepest > max_depth - 1) {
                break;
            }
        }
    } else {
        for (size_t i = 0; i < json_array_size(v) && deepest <= max_depth - 1; i++) {
            size_t d = measure(json_array_get(v, i), max_depth - 1, b, out_of_values);
            deepest  = d > deepest ? d : deepest;
        }
    }
    return 1 + deepest;
}

/* The error, if value placed below n_tokens containers would break a limit. */
static enum hfx_status check_limits(const json_t * value, size_t n_tokens, struct budget * b, struct hfx_error * err,
                                    size_t k, const char * op);

//
// Messages
//

struct bounded_text {
    char * buf;
    size_t size, len;
    bool   cut;
};

/* json_dump_callback's sink: stops the dump (returns -1) once the buffer is full. */
static int bounded_put(const char * s, size_t n, void * data) {
    struct bounded_text * t    = data;
    size_t                room = t->size - 1 - t->len;
    size_t                take = n < room ? n : room;
    memcpy(t->buf + t->len, s, take);
    t->len += take;
    t->buf[t->len] = '\0';
    if (take < n) {
        t->cut = true;
        return -1;
    }
    return 0;
}

/* Compact JSON of v, cut to fit in buf with "..." when long. The dump stops when buf is full, so a
 * huge or deeply nested value costs no more than the text it shows. */
static void describe_value(const json_t * v, char * buf, size_t size) {
    if (size < 8) {
        buf[0] = '\0';
        return;
    }
    struct bounded_text t = { buf, size, 0, false };
    buf[0]                = '\0';
    if (json_dump_callback(v, bounded_put, &t, JSON_ENCODE_ANY | JSON_COMPACT) != 0 && !t.cut) {
        snprintf(buf, size, "(%s)", hfx__json_type_name(v));
        return;
    }
    if (t.cut) {
        memcpy(buf + size - 4, "...", 4);
    }
}

/* Length of the first n tokens of the raw pointer string s (so "%.*s" prints that prefix). */
static int prefix_len(const char * s, size_t n) {
    size_t i = 0, seen = 0;
    for (; s[i]; i++) {
        if (s[i] == '/' && seen++ == n) {
            break;
        }
    }
    return (int) i;
}

/* Why token fail of path could not be followed, e.g. " (array /channels has 2 elements)". */
static void describe_missing(json_t * root, const struct json_ptr * p, const char * path, size_t fail, char * buf,
                             size_t size) {
    size_t       dummy  = 0;
    json_t *     parent = walk(root, p, fail, &dummy);
    const char * tok    = p->tok[fail];
    int          plen   = prefix_len(path, fail);
    const char * pname  = plen > 0 ? path : "the document";
    int          pshow  = plen > 0 ? plen : (int) strlen(pname);
    size_t       idx;
    buf[0] = '\0';
    if (json_is_array(parent)) {
        if (strcmp(tok, "-") == 0) {
            snprintf(buf, size, " ('-' is past the end of array %.*s)", pshow, pname);
        } else if (!parse_index(tok, &idx)) {
            snprintf(buf, size, " ('%s' is not an array index)", tok);
        } else {
            snprintf(buf, size, " (array %.*s has %zu element%s)", pshow, pname, json_array_size(parent),
                     json_array_size(parent) == 1 ? "" : "s");
        }
    } else if (parent && !json_is_object(parent)) {
        snprintf(buf, size, " (%.*s is %s)", pshow, pname, hfx__json_type_name(parent));
    }
}

/* Fills err for operation k of kind op: pointer "/k", msg "<op> failed: ...". */
static enum hfx_status op_fail(struct hfx_error * err, size_t k, const char * op, const char * fmt, ...)
    HFX_PRINTF(4, 5);
static enum hfx_status op_fail(struct hfx_error * err, size_t k, const char * op, const char * fmt, ...) {
    char    what[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    char ptr[32];
    snprintf(ptr, sizeof ptr, "/%zu", k);
    if (op) {
        return hfx__error(err, HFX_ERR_PATCH, ptr, "%s failed: %s", op, what);
    }
    return hfx__error(err, HFX_ERR_PATCH, ptr, "%s", what);
}

/* The error for a path that does not resolve at token fail. */
static enum hfx_status missing(struct hfx_error * err, size_t k, const char * op, json_t * root,
                               const struct json_ptr * p, const char * path, size_t fail) {
    char why[256];
    describe_missing(root, p, path, fail, why, sizeof why);
    if (fail + 1 == p->n) {
        return op_fail(err, k, op, "path %s does not exist%s", path, why);
    }
    return op_fail(err, k, op, "path %s: %.*s does not exist%s", path, prefix_len(path, fail + 1), path, why);
}

//
// Equality as Python's == on decoded JSON
//

static bool values_equal_at(const json_t * a, const json_t * b, size_t depth) {
    if (depth > HFX_JSON_DEPTH_MAX) {
        return false; /* trees hfx holds never nest this deep (see Limits) */
    }
    if (json_is_number(a) && json_is_number(b)) {
        if (json_is_integer(a) && json_is_integer(b)) {
            return json_integer_value(a) == json_integer_value(b);
        }
        return json_number_value(a) == json_number_value(b);
    }
    if (json_typeof(a) != json_typeof(b)) {
        return false;
    }
    switch (json_typeof(a)) {
    case JSON_OBJECT: {
        if (json_object_size(a) != json_object_size(b)) {
            return false;
        }
        const char * key;
        json_t *     va;
        json_object_foreach((json_t *) a, key, va) {
            json_t * vb = json_object_get(b, key);
            if (!vb || !values_equal_at(va, vb, depth + 1)) {
                return false;
            }
        }
        return true;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(a);
        if (n != json_array_size(b)) {
            return false;
        }
        for (size_t i = 0; i < n; i++) {
            if (!values_equal_at(json_array_get(a, i), json_array_get(b, i), depth + 1)) {
                return false;
            }
        }
        return true;
    }
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    default:
        return true; /* true, false, null: same type is enough */
    }
}

static bool values_equal(const json_t * a, const json_t * b) {
    return values_equal_at(a, b, 0);
}

bool hfx__json_equal(const json_t * a, const json_t * b) {
    return a && b && values_equal(a, b);
}

//
// Operations
//

enum op_kind { OP_ADD, OP_REMOVE, OP_REPLACE, OP_MOVE, OP_COPY, OP_TEST };
static const char * const op_names[] = { "add", "remove", "replace", "move", "copy", "test" };

/* Adds value (a reference we own) at p; on failure value is released. */
static enum hfx_status do_add(json_t ** root, const struct json_ptr * p, const char * path, json_t * value,
                              struct hfx_error * err, size_t k, const char * op) {
    if (p->n == 0) {
        json_decref(*root);
        *root = value;
        return HFX_OK;
    }
    size_t   fail   = 0;
    bool     oom    = false;
    json_t * parent = walk_own(root, p, p->n - 1, &fail, &oom);
    if (!parent) {
        json_decref(value);
        return oom ? HFX_ERR_ALLOC : missing(err, k, op, *root, p, path, fail);
    }
    const char * last = p->tok[p->n - 1];
    if (json_is_object(parent)) {
        if (json_object_set_new(parent, last, value) != 0) {
            return op_fail(err, k, op, "cannot set key '%s' at %s (invalid UTF-8 or out of memory)", last, path);
        }
        return HFX_OK;
    }
    if (json_is_array(parent)) {
        size_t n = json_array_size(parent), idx;
        if (strcmp(last, "-") == 0) {
            idx = n;
        } else if (!parse_index(last, &idx)) {
            json_decref(value);
            return op_fail(err, k, op, "'%s' in path %s is not an array index", last, path);
        } else if (idx > n) {
            json_decref(value);
            return op_fail(err, k, op, "index %zu in path %s is out of range (array has %zu element%s)", idx, path,
                           n, n == 1 ? "" : "s");
        }
        if (json_array_insert_new(parent, idx, value) != 0) {
            return HFX_ERR_ALLOC; /* apply_op words the message */
        }
        return HFX_OK;
    }
    json_decref(value);
    return op_fail(err, k, op, "path %s: %.*s is %s, not an object or array", path, prefix_len(path, p->n - 1), path,
                   hfx__json_type_name(parent));
}

static enum hfx_status do_remove(json_t ** root, const struct json_ptr * p, const char * path, struct hfx_error * err,
                                 size_t k, const char * op) {
    if (p->n == 0) {
        return op_fail(err, k, op, "cannot remove the whole document");
    }
    size_t fail = 0;
    if (!walk(*root, p, p->n, &fail)) {
        return missing(err, k, op, *root, p, path, fail);
    }
    bool     oom    = false;
    json_t * parent = walk_own(root, p, p->n - 1, &fail, &oom);
    if (!parent) {
        return HFX_ERR_ALLOC; /* the path resolved above, so only a failed copy gets here */
    }
    const char * last = p->tok[p->n - 1];
    if (json_is_object(parent)) {
        json_object_del(parent, last);
    } else {
        size_t idx = 0;
        parse_index(last, &idx); /* walk() succeeded, so this is a valid index */
        json_array_remove(parent, idx);
    }
    return HFX_OK;
}

/* true if a is a proper prefix of b (token-wise): b is inside a. */
static bool is_proper_prefix(const struct json_ptr * a, const struct json_ptr * b) {
    if (a->n >= b->n) {
        return false;
    }
    for (size_t i = 0; i < a->n; i++) {
        if (strcmp(a->tok[i], b->tok[i]) != 0) {
            return false;
        }
    }
    return true;
}

/* Checks the shape of operation k; on success sets *kind and the member strings. */
static enum hfx_status check_op(const json_t * op, size_t k, enum op_kind * kind, const char ** path,
                                const char ** from, struct hfx_error * err) {
    if (!json_is_object(op)) {
        return op_fail(err, k, NULL, "a patch operation must be an object, got %s", hfx__json_type_name(op));
    }
    json_t * jop = json_object_get(op, "op");
    if (!jop) {
        return op_fail(err, k, NULL, "patch operation has no 'op'");
    }
    if (!json_is_string(jop)) {
        return op_fail(err, k, NULL, "'op' must be a string, got %s", hfx__json_type_name(jop));
    }
    const char * name  = json_string_value(jop);
    bool         found = false;
    for (int i = 0; i <= OP_TEST; i++) {
        if (strcmp(name, op_names[i]) == 0) {
            *kind = (enum op_kind) i;
            found = true;
        }
    }
    if (!found) {
        return op_fail(err, k, NULL, "unknown patch operation '%s' (expected add, remove, replace, move, copy or test)",
                       name);
    }
    json_t * jpath = json_object_get(op, "path");
    if (!jpath) {
        return op_fail(err, k, name, "no 'path'");
    }
    if (!json_is_string(jpath)) {
        return op_fail(err, k, name, "'path' must be a string, got %s", hfx__json_type_name(jpath));
    }
    *path = json_string_value(jpath);
    if ((*kind == OP_ADD || *kind == OP_REPLACE || *kind == OP_TEST) && !json_object_get(op, "value")) {
        return op_fail(err, k, name, "no 'value'");
    }
    *from = NULL;
    if (*kind == OP_MOVE || *kind == OP_COPY) {
        json_t * jfrom = json_object_get(op, "from");
        if (!jfrom) {
            return op_fail(err, k, name, "no 'from'");
        }
        if (!json_is_string(jfrom)) {
            return op_fail(err, k, name, "'from' must be a string, got %s", hfx__json_type_name(jfrom));
        }
        *from = json_string_value(jfrom);
    }
    struct json_ptr p;
    const char *    why = NULL;
    if (!ptr_parse(*path, &p, &why)) {
        return why == ptr_oom ? hfx__error_oom(err, "the tokens of a JSON pointer", strlen(*path) + 64)
                              : op_fail(err, k, name, "bad path \"%s\": %s", *path, why);
    }
    ptr_free(&p);
    if (*from && !ptr_parse(*from, &p, &why)) {
        return why == ptr_oom ? hfx__error_oom(err, "the tokens of a JSON pointer", strlen(*from) + 64)
                              : op_fail(err, k, name, "bad from \"%s\": %s", *from, why);
    }
    ptr_free(&p);
    return HFX_OK;
}

enum hfx_status hfx__json_patch_check(const json_t * patch, struct hfx_error * err) {
    if (!json_is_array(patch)) {
        return hfx__error(err, HFX_ERR_PATCH, NULL, "a JSON patch must be an array of operations, got %s",
                          patch ? hfx__json_type_name(patch) : "nothing");
    }
    for (size_t k = 0; k < json_array_size(patch); k++) {
        enum op_kind    kind;
        const char *    path, * from;
        enum hfx_status st = check_op(json_array_get(patch, k), k, &kind, &path, &from, err);
        if (st != HFX_OK) {
            return st;
        }
    }
    return HFX_OK;
}

static enum hfx_status check_limits(const json_t * value, size_t n_tokens, struct budget * b, struct hfx_error * err,
                                    size_t k, const char * op) {
    if (n_tokens >= HFX_JSON_DEPTH_MAX && (json_is_object(value) || json_is_array(value))) {
        return op_fail(err, k, op, "the result would nest deeper than %d levels", HFX_JSON_DEPTH_MAX);
    }
    size_t room = n_tokens >= HFX_JSON_DEPTH_MAX ? 0 : HFX_JSON_DEPTH_MAX - n_tokens;
    bool   out  = false;
    if (measure(value, room, b, &out) > room) {
        return out ? op_fail(err, k, op, "the patch places more than %zu JSON values (hfx's limit for one patch)",
                             (size_t) HFX_PATCH_VALUES_MAX)
                   : op_fail(err, k, op, "the result would nest deeper than %d levels", HFX_JSON_DEPTH_MAX);
    }
    return HFX_OK;
}

/* Applies operation k to *root in place. */
static enum hfx_status apply_op(json_t ** root, const json_t * op, size_t k, struct budget * b,
                                struct hfx_error * err) {
    enum op_kind    kind;
    const char *    path, * from;
    enum hfx_status st = check_op(op, k, &kind, &path, &from, err);
    if (st != HFX_OK) {
        return st;
    }
    const char *    name = op_names[kind];
    struct json_ptr p, f = { 0, NULL };
    const char *    why = NULL;
    if (!ptr_parse(path, &p, &why) || (from && !ptr_parse(from, &f, &why))) {
        ptr_free(&p);
        /* check_op parsed both, so only the allocation of the token table can fail here */
        return hfx__error_oom(err, "the tokens of a JSON pointer", strlen(path) + (from ? strlen(from) : 0) + 64);
    }
    json_t * value = json_object_get(op, "value");
    size_t   fail  = 0;
    switch (kind) {
    case OP_ADD:
        /* The patch's value is shared, not copied: the patch holds a reference (copy-on-write). */
        if ((st = check_limits(value, p.n, b, err, k, name)) == HFX_OK) {
            st = do_add(root, &p, path, json_incref(value), err, k, name);
        }
        break;
    case OP_REMOVE:
        st = do_remove(root, &p, path, err, k, name);
        break;
    case OP_REPLACE: {
        json_t * target = walk(*root, &p, p.n, &fail);
        if (!target) {
            st = missing(err, k, name, *root, &p, path, fail);
        } else if ((st = check_limits(value, p.n, b, err, k, name)) != HFX_OK) {
            break;
        } else if (p.n == 0) {
            json_decref(*root);
            *root = json_incref(value);
        } else {
            /* Set in place, so that a replaced object member keeps its position (as in Python). */
            bool         oom    = false;
            json_t *     parent = walk_own(root, &p, p.n - 1, &fail, &oom);
            const char * last   = p.tok[p.n - 1];
            size_t       idx    = 0;
            int          rc     = !parent                ? -1
                                  : json_is_object(parent) ? json_object_set_new(parent, last, json_incref(value))
                                                         : (parse_index(last, &idx),
                                                            json_array_set_new(parent, idx, json_incref(value)));
            st                  = rc == 0 ? HFX_OK : HFX_ERR_ALLOC;
        }
        break;
    }
    case OP_MOVE: {
        json_t * src = walk(*root, &f, f.n, &fail);
        if (!src) {
            st = missing(err, k, name, *root, &f, from, fail);
        } else if (is_proper_prefix(&f, &p)) {
            st = op_fail(err, k, name, "cannot move %s into its own child %s", from, path);
        } else if ((st = check_limits(src, p.n, b, err, k, name)) != HFX_OK) {
            break;
        } else {
            json_incref(src); /* before do_remove and walk_own, which may release the tree's reference */
            st = f.n == 0 ? HFX_OK : do_remove(root, &f, from, err, k, name);
            if (st == HFX_OK) {
                st = do_add(root, &p, path, src, err, k, name);
            } else {
                json_decref(src);
            }
        }
        break;
    }
    case OP_COPY: {
        json_t * src = walk(*root, &f, f.n, &fail);
        if (!src) {
            st = missing(err, k, name, *root, &f, from, fail);
        } else if ((st = check_limits(src, p.n, b, err, k, name)) != HFX_OK) {
            break;
        } else {
            /* Shared, not copied: a later change to either place copies what it changes first. The
             * reference is taken before do_add's walk_own, which may replace src's parent. */
            st = do_add(root, &p, path, json_incref(src), err, k, name);
        }
        break;
    }
    case OP_TEST: {
        json_t * target = walk(*root, &p, p.n, &fail);
        if (!target) {
            st = missing(err, k, name, *root, &p, path, fail);
        } else if (!values_equal(target, value)) {
            char got[160], want[160];
            describe_value(target, got, sizeof got);
            describe_value(value, want, sizeof want);
            st = op_fail(err, k, name, "value at %s is %s, expected %s", path[0] ? path : "\"\"", got, want);
        }
        break;
    }
    }
    if (st == HFX_ERR_ALLOC) {
        /* walk_own's shallow copies, or a container growing by one member */
        char ptr[32];
        snprintf(ptr, sizeof ptr, "/%zu", k);
        hfx__error(err, HFX_ERR_ALLOC, ptr,
                   "out of memory in %s at %s: copying the containers on the path (copy-on-write, one pointer "
                   "per member) or adding a member",
                   name, path[0] ? path : "\"\"");
    }
    ptr_free(&p);
    ptr_free(&f);
    return st;
}

enum hfx_status hfx__json_patch_apply(json_t ** doc, const json_t * patch, struct hfx_error * err) {
    if (!doc || !*doc) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx__json_patch_apply: no document");
    }
    if (!json_is_array(patch)) {
        return hfx__json_patch_check(patch, err);
    }
    /* The working copy shares *doc; the first change copies the root (see the top of the file). */
    json_t *      work   = json_incref(*doc);
    struct budget budget = { HFX_PATCH_VALUES_MAX };
    for (size_t k = 0; k < json_array_size(patch); k++) {
        enum hfx_status st = apply_op(&work, json_array_get(patch, k), k, &budget, err);
        if (st != HFX_OK) {
            json_decref(work);
            return st;
        }
    }
    json_decref(*doc);
    *doc = work;
    return HFX_OK;
}
