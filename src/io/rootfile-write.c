/*
 * rootfile-write.c -- a ROOT file of TH1D histograms, for HistFactory inputs (hfx json2xml).
 *
 * The file is assembled in memory and written once: the 100-byte small header (32-bit seeks, so
 * files stay under 2 GB, which HistFactory inputs do by far), the top directory (key, name, record),
 * one key per histogram (zlib-format blocks, or raw when compression does not help, as ROOT does), the
 * streamer-info list, the key list and the free-segment list. Histograms are TH1D version 3 over TH1
 * version 8 (ROOT 6), streamed member by member with byte counts, as ROOT's own streamers write them.
 * The streamer-info list describes TH1D and every class it is made of, as ROOT 6.40 writes it for
 * a file of TH1D (the same records, checksums and member comments, in the same order), so that
 * readers that go by the file's streamers (ROOT's TFile::ShowStreamerInfo, uproot's file.streamers,
 * older or newer ROOT versions) find them.
 */
#include "core/array.h"
#include "io/io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libdeflate.h>

#define BEGIN          100
#define KEY_VERSION    4
#define BYTECOUNT_FLAG 0x40000000u
#define BLOCK_MAX      0xffffffu
#define MAX_FILE_BYTES 2000000000u

struct buf {
    unsigned char * p;
    size_t          n, cap;
    bool            oom;
};

struct wkey {
    char *   name;
    uint32_t n_bytes, obj_len, seek;
    uint16_t key_len;
};

struct hfx__root_writer {
    char *        path;
    char *        file_name;   /* the name stored in the file: the path's last component */
    struct buf    out;
    struct wkey * keys;
    size_t        n_keys, cap_keys;
    uint32_t      datime;
    size_t        dir_record;  /* offset of the top directory record */
    uint32_t      n_bytes_name;
    json_t *      names;       /* the histogram names so far (a hash set) */
    /* zlib-format blocks through libdeflate: its per-call cost is a fraction of zlib's deflate,
     * which dominated writing thousands of histograms of a few hundred bytes. */
    struct libdeflate_compressor * z;
};

static void put(struct buf * b, const void * data, size_t n) {
    if (b->oom) {
        return;
    }
    if (!HFX_ARRAY_RESERVE(b->p, b->cap, b->n + n, 4096, NULL)) {
        b->oom = true;
        return;
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
}

static void put_be(struct buf * b, uint64_t v, size_t k) {
    unsigned char x[8];
    for (size_t i = 0; i < k; i++) {
        x[i] = (unsigned char) (v >> (8 * (k - 1 - i)));
    }
    put(b, x, k);
}

static void patch_be(struct buf * b, size_t at, uint64_t v, size_t k) {
    if (!b->oom) {
        for (size_t i = 0; i < k; i++) {
            b->p[at + i] = (unsigned char) (v >> (8 * (k - 1 - i)));
        }
    }
}

static void put_double(struct buf * b, double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    put_be(b, u, 8);
}

static void put_float(struct buf * b, float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    put_be(b, u, 4);
}

static void put_tstring(struct buf * b, const char * s) {
    size_t n = strlen(s);
    if (n < 255) {
        put_be(b, n, 1);
    } else {
        put_be(b, 255, 1);
        put_be(b, n, 4);
    }
    put(b, s, n);
}

static size_t tstring_size(const char * s) {
    size_t n = strlen(s);
    return n + (n < 255 ? 1 : 5);
}

/* Starts a byte-counted, versioned object; end_versioned() fills in the count. */
static size_t begin_versioned(struct buf * b, unsigned version) {
    size_t at = b->n;
    put_be(b, 0, 4);
    put_be(b, version, 2);
    return at;
}

static void end_versioned(struct buf * b, size_t at) {
    patch_be(b, at, BYTECOUNT_FLAG | (uint32_t) (b->n - at - 4), 4);
}

static void put_tobject(struct buf * b) {
    put_be(b, 1, 2);          /* version */
    put_be(b, 0, 4);          /* fUniqueID */
    put_be(b, 0x03000000, 4); /* fBits: kNotDeleted | kIsOnHeap, what ROOT writes */
}

static void put_tnamed(struct buf * b, const char * name, const char * title) {
    size_t at = begin_versioned(b, 1);
    put_tobject(b);
    put_tstring(b, name);
    put_tstring(b, title);
    end_versioned(b, at);
}

static void put_taxis(struct buf * b, const char * name, int n_bins, double lo, double hi) {
    size_t at = begin_versioned(b, 10);
    put_tnamed(b, name, "");
    size_t att = begin_versioned(b, 4); /* TAttAxis with ROOT's defaults */
    put_be(b, 510, 4);                  /* fNdivisions */
    put_be(b, 1, 2), put_be(b, 1, 2), put_be(b, 42, 2);
    put_float(b, 0.005f), put_float(b, 0.035f), put_float(b, 0.03f), put_float(b, 1.0f), put_float(b, 0.035f);
    put_be(b, 1, 2), put_be(b, 42, 2);
    end_versioned(b, att);
    put_be(b, (uint32_t) n_bins, 4);
    put_double(b, lo), put_double(b, hi);
    put_be(b, 0, 4);                  /* fXbins: empty, fixed bins */
    put_be(b, 0, 4), put_be(b, 0, 4); /* fFirst, fLast */
    put_be(b, 0, 2);                  /* fBits2 */
    put_be(b, 0, 1);                  /* fTimeDisplay */
    put_tstring(b, "");               /* fTimeFormat */
    put_be(b, 0, 4), put_be(b, 0, 4); /* fLabels, fModLabs: null pointers */
    end_versioned(b, at);
}

/* The streamed TH1D (the object a key points to), before compression. */
static void put_th1d(struct buf * b, const char * name, const double * v, const double * e, size_t n) {
    size_t cells = n + 2;
    double sumw = 0, sumw2 = 0, sumwx = 0, sumwx2 = 0;
    for (size_t i = 0; i < n; i++) {
        double x = (double) i + 0.5;
        sumw += v[i];
        sumw2 += e ? e[i] * e[i] : v[i];
        sumwx += v[i] * x;
        sumwx2 += v[i] * x * x;
    }
    size_t h   = begin_versioned(b, 3);
    size_t th1 = begin_versioned(b, 8);
    put_tnamed(b, name, name);
    size_t a = begin_versioned(b, 2); /* TAttLine */
    put_be(b, 602, 2), put_be(b, 1, 2), put_be(b, 1, 2);
    end_versioned(b, a);
    a = begin_versioned(b, 2); /* TAttFill */
    put_be(b, 0, 2), put_be(b, 1001, 2);
    end_versioned(b, a);
    a = begin_versioned(b, 2); /* TAttMarker */
    put_be(b, 1, 2), put_be(b, 1, 2), put_float(b, 1.0f);
    end_versioned(b, a);
    put_be(b, (uint32_t) cells, 4);
    put_taxis(b, "xaxis", (int) n, 0.0, (double) n);
    put_taxis(b, "yaxis", 1, 0.0, 1.0);
    put_taxis(b, "zaxis", 1, 0.0, 1.0);
    put_be(b, 0, 2), put_be(b, 1000, 2); /* fBarOffset, fBarWidth */
    put_double(b, sumw);                 /* fEntries */
    put_double(b, sumw), put_double(b, sumw2), put_double(b, sumwx), put_double(b, sumwx2);
    put_double(b, -1111), put_double(b, -1111), put_double(b, 0); /* fMaximum, fMinimum, fNormFactor */
    put_be(b, 0, 4);                                              /* fContour */
    if (e) {
        put_be(b, (uint32_t) cells, 4);
        put_double(b, 0);
        for (size_t i = 0; i < n; i++) {
            put_double(b, e[i] * e[i]);
        }
        put_double(b, 0);
    } else {
        put_be(b, 0, 4);
    }
    put_tstring(b, ""); /* fOption */
    a = begin_versioned(b, 5); /* fFunctions: an empty TList */
    put_tobject(b);
    put_tstring(b, "");
    put_be(b, 0, 4);
    end_versioned(b, a);
    put_be(b, 0, 4); /* fBufferSize */
    put_be(b, 0, 1); /* fBuffer: none */
    put_be(b, 0, 4); /* fBinStatErrOpt */
    put_be(b, 2, 4); /* fStatOverflows: kNeutral */
    end_versioned(b, th1);
    put_be(b, (uint32_t) cells, 4); /* TArrayD */
    put_double(b, 0);
    for (size_t i = 0; i < n; i++) {
        put_double(b, v[i]);
    }
    put_double(b, 0);
    end_versioned(b, h);
}

/* The streamer info: TStreamerInfo records (class, checksum, version, elements), each element one of
 * ROOT's TStreamerElement kinds; a base element carries the base's version and checksum. */
enum se_kind { SE_BASE, SE_BASIC, SE_OBJECT, SE_OBJECT_ANY, SE_STRING, SE_OBJECT_POINTER, SE_BASIC_POINTER };
static const char * const SE_CLASS[] = {"TStreamerBase",          "TStreamerBasicType",   "TStreamerObject",
                                        "TStreamerObjectAny",     "TStreamerString",      "TStreamerObjectPointer",
                                        "TStreamerBasicPointer"};
struct selement {
    enum se_kind kind;
    const char * name, *title;
    int          type, size;
    const char * type_name;
    int          version;   /* the base's version (SE_BASE) or the count's class version (SE_BASIC_POINTER) */
    uint32_t     checksum;  /* the base's (SE_BASE) */
    const char * count_name, *count_class;
};
struct sinfo {
    const char * name;
    uint32_t     checksum;
    int          version;
    size_t       first, n;
};
static const struct selement ELEMENTS[] = {
    {SE_BASE, "TH1", "1-Dim histogram base class", 0, 0, "BASE", 8, 0x1c3740c4u, NULL, NULL},
    {SE_BASE, "TArrayD", "Array of doubles", 0, 0, "BASE", 1, 0x7139ef34u, NULL, NULL},
    {SE_BASE, "TNamed", "The basis for a named object (name, title)", 67, 0, "BASE", 1, 0xdfb74a3cu, NULL, NULL},
    {SE_BASE, "TAttLine", "Line attributes", 0, 0, "BASE", 2, 0x94074549u, NULL, NULL},
    {SE_BASE, "TAttFill", "Fill area attributes", 0, 0, "BASE", 2, 0xffd92a92u, NULL, NULL},
    {SE_BASE, "TAttMarker", "Marker attributes", 0, 0, "BASE", 3, 0x291d8becu, NULL, NULL},
    {SE_BASIC, "fNcells", "Number of bins(1D), cells (2D) +U/Overflows", 3, 4, "int", 0, 0x00000000u, NULL, NULL},
    {SE_OBJECT, "fXaxis", "X axis descriptor", 61, 216, "TAxis", 0, 0x00000000u, NULL, NULL},
    {SE_OBJECT, "fYaxis", "Y axis descriptor", 61, 216, "TAxis", 0, 0x00000000u, NULL, NULL},
    {SE_OBJECT, "fZaxis", "Z axis descriptor", 61, 216, "TAxis", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fBarOffset", "(1000*offset) for bar charts or legos", 2, 2, "short", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fBarWidth", "(1000*width) for bar charts or legos", 2, 2, "short", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fEntries", "Number of entries", 8, 8, "double", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fTsumw", "Total Sum of weights", 8, 8, "double", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fTsumw2", "Total Sum of squares of weights", 8, 8, "double", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fTsumwx", "Total Sum of weight*X", 8, 8, "double", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fTsumwx2", "Total Sum of weight*X*X", 8, 8, "double", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fMaximum", "Maximum value for plotting", 8, 8, "double", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fMinimum", "Minimum value for plotting", 8, 8, "double", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fNormFactor", "Normalization factor", 8, 8, "double", 0, 0x00000000u, NULL, NULL},
    {SE_OBJECT_ANY, "fContour", "Array to display contour levels", 62, 24, "TArrayD", 0, 0x00000000u, NULL, NULL},
    {SE_OBJECT_ANY, "fSumw2", "Array of sum of squares of weights", 62, 24, "TArrayD", 0, 0x00000000u, NULL, NULL},
    {SE_STRING, "fOption", "Histogram options", 65, 24, "TString", 0, 0x00000000u, NULL, NULL},
    {SE_OBJECT_POINTER, "fFunctions", "->Pointer to list of functions (fits and user)", 63, 8, "TList*", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fBufferSize", "fBuffer size", 6, 4, "int", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC_POINTER, "fBuffer", "[fBufferSize] entry buffer", 48, 8, "double*", 8, 0x00000000u, "fBufferSize", "TH1"},
    {SE_BASIC, "fBinStatErrOpt", "Option for bin statistical errors", 3, 4, "TH1::EBinErrorOpt", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fStatOverflows", "Per object flag to use under/overflows in statistics", 3, 4, "TH1::EStatOverflows", 0, 0x00000000u, NULL, NULL},
    {SE_BASE, "TObject", "Basic ROOT object", 66, 0, "BASE", 1, 0x901bc02du, NULL, NULL},
    {SE_STRING, "fName", "object identifier", 65, 24, "TString", 0, 0x00000000u, NULL, NULL},
    {SE_STRING, "fTitle", "object title", 65, 24, "TString", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fUniqueID", "object unique identifier", 13, 4, "unsigned int", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fBits", "bit field status word", 15, 4, "unsigned int", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fLineColor", "Line color", 2, 2, "short", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fLineStyle", "Line style", 2, 2, "short", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fLineWidth", "Line width", 2, 2, "short", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fFillColor", "Fill area color", 2, 2, "short", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fFillStyle", "Fill area style", 2, 2, "short", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fMarkerColor", "Marker color", 2, 2, "short", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fMarkerStyle", "Marker style", 2, 2, "short", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fMarkerSize", "Marker size", 5, 4, "float", 0, 0x00000000u, NULL, NULL},
    {SE_BASE, "TNamed", "The basis for a named object (name, title)", 67, 0, "BASE", 1, 0xdfb74a3cu, NULL, NULL},
    {SE_BASE, "TAttAxis", "Axis attributes", 0, 0, "BASE", 4, 0x5c6fff3eu, NULL, NULL},
    {SE_BASIC, "fNbins", "Number of bins", 3, 4, "int", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fXmin", "Low edge of first bin", 8, 8, "double", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fXmax", "Upper edge of last bin", 8, 8, "double", 0, 0x00000000u, NULL, NULL},
    {SE_OBJECT_ANY, "fXbins", "Bin edges array in X", 62, 24, "TArrayD", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fFirst", "First bin to display", 3, 4, "int", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fLast", "Last bin to display", 3, 4, "int", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fBits2", "Second bit status word", 12, 2, "unsigned short", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fTimeDisplay", "On/off displaying time values instead of numerics", 18, 1, "bool", 0, 0x00000000u, NULL, NULL},
    {SE_STRING, "fTimeFormat", "Date&time format, ex: 09/12/99 12:34:00", 65, 24, "TString", 0, 0x00000000u, NULL, NULL},
    {SE_OBJECT_POINTER, "fLabels", "List of labels", 64, 8, "THashList*", 0, 0x00000000u, NULL, NULL},
    {SE_OBJECT_POINTER, "fModLabs", "List of modified labels", 64, 8, "TList*", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fNdivisions", "Number of divisions(10000*n3 + 100*n2 + n1)", 3, 4, "int", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fAxisColor", "Color of the line axis", 2, 2, "short", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fLabelColor", "Color of labels", 2, 2, "short", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fLabelFont", "Font for labels", 2, 2, "short", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fLabelOffset", "Offset of labels", 5, 4, "float", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fLabelSize", "Size of labels", 5, 4, "float", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fTickLength", "Length of tick marks", 5, 4, "float", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fTitleOffset", "Offset of axis title", 5, 4, "float", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fTitleSize", "Size of axis title", 5, 4, "float", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fTitleColor", "Color of axis title", 2, 2, "short", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fTitleFont", "Font for axis title", 2, 2, "short", 0, 0x00000000u, NULL, NULL},
    {SE_BASE, "TList", "Doubly linked list", 0, 0, "BASE", 5, 0x69c5c3bbu, NULL, NULL},
    {SE_BASE, "TSeqCollection", "Sequenceable collection ABC", 0, 0, "BASE", 0, 0xfc6c3bc6u, NULL, NULL},
    {SE_BASE, "TCollection", "Collection abstract base class", 0, 0, "BASE", 3, 0x57e3cb9cu, NULL, NULL},
    {SE_BASE, "TObject", "Basic ROOT object", 66, 0, "BASE", 1, 0x901bc02du, NULL, NULL},
    {SE_STRING, "fName", "name of the collection", 65, 24, "TString", 0, 0x00000000u, NULL, NULL},
    {SE_BASIC, "fSize", "number of elements in collection", 3, 4, "int", 0, 0x00000000u, NULL, NULL},
};
static const struct sinfo INFOS[] = {
    {"TH1D", 0xf9b1569fu, 3, 0, 2},
    {"TH1", 0x1c3740c4u, 8, 2, 26},
    {"TNamed", 0xdfb74a3cu, 1, 28, 3},
    {"TObject", 0x901bc02du, 1, 31, 2},
    {"TAttLine", 0x94074549u, 2, 33, 3},
    {"TAttFill", 0xffd92a92u, 2, 36, 2},
    {"TAttMarker", 0x291d8becu, 3, 38, 3},
    {"TAxis", 0x5a496e70u, 10, 41, 13},
    {"TAttAxis", 0x5c6fff3eu, 4, 54, 11},
    {"THashList", 0xcc7e49c1u, 0, 65, 1},
    {"TList", 0x69c5c3bbu, 5, 66, 1},
    {"TSeqCollection", 0xfc6c3bc6u, 0, 67, 1},
    {"TCollection", 0x57e3cb9cu, 3, 68, 3},
    {"TString", 0x00017419u, 2, 71, 0},
};

/* Class tags of ROOT's object references: a class's first object writes its name (kNewClassTag),
 * later ones refer to that tag's position in the key (+ kMapOffset). */
#define NEW_CLASS_TAG 0xffffffffu
#define CLASS_MASK    0x80000000u
#define MAP_OFFSET    2

struct tags {
    const char * cls[16];
    uint32_t     at[16];
    size_t       n;
    size_t       key_len;
};

/* Starts an object written through a pointer (byte count, class tag); end_versioned() closes it. */
static size_t begin_object(struct buf * b, struct tags * t, const char * cls) {
    size_t at = b->n;
    put_be(b, 0, 4);
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->cls[i], cls) == 0) {
            put_be(b, CLASS_MASK | t->at[i], 4);
            return at;
        }
    }
    t->cls[t->n]  = cls;
    t->at[t->n++] = (uint32_t) (b->n + t->key_len + MAP_OFFSET);
    put_be(b, NEW_CLASS_TAG, 4);
    put(b, cls, strlen(cls) + 1);
    return at;
}

static void put_tobject_bits(struct buf * b, uint32_t bits) {
    put_be(b, 1, 2), put_be(b, 0, 4), put_be(b, bits, 4);
}

static void put_element(struct buf * b, struct tags * t, const struct selement * e) {
    size_t obj = begin_object(b, t, SE_CLASS[e->kind]);
    size_t se  = begin_versioned(b, e->kind == SE_BASE ? 3 : 2);
    size_t el  = begin_versioned(b, 4); /* TStreamerElement */
    size_t nm = begin_versioned(b, 1);
    put_tobject_bits(b, 0);
    put_tstring(b, e->name);
    put_tstring(b, e->title);
    end_versioned(b, nm);
    put_be(b, (uint32_t) e->type, 4), put_be(b, (uint32_t) e->size, 4);
    put_be(b, 0, 4), put_be(b, 0, 4); /* fArrayLength, fArrayDim */
    put_be(b, 0, 4), put_be(b, e->kind == SE_BASE ? e->checksum : 0, 4), put_be(b, 0, 4), put_be(b, 0, 4),
        put_be(b, 0, 4); /* fMaxIndex[5] */
    put_tstring(b, e->type_name);
    end_versioned(b, el);
    if (e->kind == SE_BASE) {
        put_be(b, (uint32_t) e->version, 4);
    } else if (e->kind == SE_BASIC_POINTER) {
        put_be(b, (uint32_t) e->version, 4);
        put_tstring(b, e->count_name);
        put_tstring(b, e->count_class);
    }
    end_versioned(b, se);
    end_versioned(b, obj);
}

/* The streamer-info TList (the record the header's fSeekInfo points to). */
static void put_streamer_info(struct buf * b, size_t key_len) {
    struct tags t    = {.key_len = key_len};
    size_t      list = begin_versioned(b, 5);
    put_tobject_bits(b, 0);
    put_tstring(b, "");
    put_be(b, sizeof INFOS / sizeof INFOS[0], 4);
    for (size_t i = 0; i < sizeof INFOS / sizeof INFOS[0]; i++) {
        const struct sinfo * s   = &INFOS[i];
        size_t               obj = begin_object(b, &t, "TStreamerInfo");
        size_t               si  = begin_versioned(b, 10); /* TStreamerInfo's version in ROOT 6.40 */
        size_t               nm  = begin_versioned(b, 1);
        put_tobject_bits(b, 0x00010000);
        put_tstring(b, s->name);
        put_tstring(b, "");
        end_versioned(b, nm);
        put_be(b, s->checksum, 4), put_be(b, (uint32_t) s->version, 4);
        size_t arr = begin_object(b, &t, "TObjArray");
        size_t oa  = begin_versioned(b, 3);
        put_tobject_bits(b, 0);
        put_tstring(b, "");
        put_be(b, s->n, 4), put_be(b, 0, 4); /* the count, fLowerBound */
        for (size_t k = 0; k < s->n; k++) {
            put_element(b, &t, &ELEMENTS[s->first + k]);
        }
        end_versioned(b, oa);
        end_versioned(b, arr);
        end_versioned(b, si);
        end_versioned(b, obj);
        put_be(b, 0, 1); /* the list's option string for this entry: empty */
    }
    end_versioned(b, list);
}

static size_t key_header_size(const char * cls, const char * name, const char * title) {
    return 4 + 2 + 4 + 4 + 2 + 2 + 4 + 4 + tstring_size(cls) + tstring_size(name) + tstring_size(title);
}

static void put_key(struct hfx__root_writer * w, uint32_t n_bytes, uint32_t obj_len, uint32_t seek, const char * cls,
                    const char * name, const char * title) {
    struct buf * b = &w->out;
    put_be(b, n_bytes, 4);
    put_be(b, KEY_VERSION, 2);
    put_be(b, obj_len, 4);
    put_be(b, w->datime, 4);
    put_be(b, key_header_size(cls, name, title), 2);
    put_be(b, 1, 2); /* cycle */
    put_be(b, seek, 4);
    put_be(b, BEGIN, 4); /* the parent directory: the top one */
    put_tstring(b, cls);
    put_tstring(b, name);
    put_tstring(b, title);
}

/* Appends one object record (key + data, compressed when that helps); returns its seek. */
static uint32_t put_record(struct hfx__root_writer * w, const char * cls, const char * name, const char * title,
                           const struct buf * obj, uint32_t * n_bytes_out) {
    size_t        key_len = key_header_size(cls, name, title);
    unsigned char * z     = NULL;
    size_t        z_n     = 0;
    /* Objects under 4 kB (a histogram of a few hundred bins) are stored as they are: libdeflate sets up its
     * match finder's tables (~128 kB) on every call, which costs more than a 3-bin TH1D saves (sbottom's
     * json2xml: 27 -> 11.5 ms, 1.1 -> 1.7 MB); ROOT reads such keys as it writes its own where
     * compression does not help (object length = bytes after the key). */
    if (obj->n > 4096) {
        /* zlib level 1 in blocks of at most 2^24 - 1 bytes, each with ROOT's 9-byte header. */
        size_t cap = obj->n + obj->n / 100 + 64 + 9 * (obj->n / BLOCK_MAX + 1);
        z          = hfx__malloc(cap);
        for (size_t in = 0; z && in < obj->n;) {
            size_t u     = obj->n - in < BLOCK_MAX ? obj->n - in : BLOCK_MAX;
            size_t c_len = w->z ? libdeflate_zlib_compress(w->z, obj->p + in, u, z + z_n + 9, cap - z_n - 9) : 0;
            if (c_len == 0 || c_len > BLOCK_MAX) { /* 0: it did not fit, so it does not help */
                free(z);
                z = NULL;
                break;
            }
            unsigned char * hd = z + z_n;
            hd[0] = 'Z', hd[1] = 'L', hd[2] = 8;
            for (int i = 0; i < 3; i++) {
                hd[3 + i] = (unsigned char) (c_len >> (8 * i));
                hd[6 + i] = (unsigned char) (u >> (8 * i));
            }
            z_n += 9 + c_len;
            in += u;
        }
        if (z && z_n >= obj->n) {
            free(z);
            z = NULL;
        }
    }
    uint32_t seek    = (uint32_t) w->out.n;
    uint32_t n_bytes = (uint32_t) (key_len + (z ? z_n : obj->n));
    put_key(w, n_bytes, (uint32_t) obj->n, seek, cls, name, title);
    put(&w->out, z ? z : obj->p, z ? z_n : obj->n);
    free(z);
    *n_bytes_out = n_bytes;
    return seek;
}

enum hfx_status hfx__root_writer_open(const char * path, struct hfx__root_writer ** out, struct hfx_error * err) {
    *out                       = NULL;
    struct hfx__root_writer * w = hfx__calloc(1, sizeof *w);
    if (!w || !(w->path = hfx__strdup(path))) {
        free(w);
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    const char * slash = strrchr(path, '/');
    w->file_name       = hfx__strdup(slash ? slash + 1 : path);
    w->names           = json_object();
    w->z               = libdeflate_alloc_compressor(1);
    time_t    now      = time(NULL);
    struct tm t;
    gmtime_r(&now, &t);
    w->datime = (uint32_t) (t.tm_year + 1900 - 1995) << 26 | (uint32_t) (t.tm_mon + 1) << 22 | (uint32_t) t.tm_mday << 17 |
                (uint32_t) t.tm_hour << 12 | (uint32_t) t.tm_min << 6 | (uint32_t) t.tm_sec;
    /* The header is filled in at close; the top directory: key, name, title, record. */
    unsigned char zero[BEGIN] = {0};
    put(&w->out, zero, BEGIN);
    size_t key_len  = key_header_size("TFile", w->file_name, "");
    w->n_bytes_name = (uint32_t) (key_len + tstring_size(w->file_name) + tstring_size(""));
    uint32_t record = 2 + 4 + 4 + 4 + 4 + 4 + 4 + 4 + 18 + 12; /* TDirectory v5 + room ROOT keeps to grow */
    put_key(w, w->n_bytes_name + record, w->n_bytes_name + record - (uint32_t) key_len, BEGIN, "TFile", w->file_name,
            "");
    put_tstring(&w->out, w->file_name);
    put_tstring(&w->out, "");
    w->dir_record = w->out.n;
    unsigned char blank[2 + 4 + 4 + 4 + 4 + 4 + 4 + 4 + 18 + 12] = {0};
    put(&w->out, blank, sizeof blank);
    if (w->out.oom || !w->file_name || !w->names || !w->z) {
        hfx__root_writer_close(w, NULL);
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    *out = w;
    return HFX_OK;
}

enum hfx_status hfx__root_writer_add_th1d(struct hfx__root_writer * w, const char * name, const double * values,
                                          const double * errors, size_t n, struct hfx_error * err) {
    if (json_object_get(w->names, name)) {
        return hfx__error(err, HFX_ERR_MODEL, NULL, "duplicate histogram name '%s' in %s", name, w->path);
    }
    json_object_set_new(w->names, name, json_true());
    if (!HFX_ARRAY_RESERVE(w->keys, w->cap_keys, w->n_keys + 1, 64, NULL)) {
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    struct buf obj = {0};
    put_th1d(&obj, name, values, errors, n);
    struct wkey * k = &w->keys[w->n_keys];
    memset(k, 0, sizeof *k);
    k->name = hfx__strdup(name);
    if (obj.oom || !k->name) {
        free(obj.p);
        free(k->name);
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    k->obj_len = (uint32_t) obj.n;
    k->key_len = (uint16_t) key_header_size("TH1D", name, name);
    k->seek    = put_record(w, "TH1D", name, name, &obj, &k->n_bytes);
    free(obj.p);
    w->n_keys++;
    if (w->out.oom || w->out.n > MAX_FILE_BYTES) {
        return hfx__error(err, w->out.oom ? HFX_ERR_ALLOC : HFX_ERR_UNSUPPORTED, NULL,
                          "%s would exceed 2 GB (small ROOT file format)", w->path);
    }
    return HFX_OK;
}

static void writer_free(struct hfx__root_writer * w) {
    for (size_t i = 0; i < w->n_keys; i++) {
        free(w->keys[i].name);
    }
    free(w->keys);
    json_decref(w->names);
    libdeflate_free_compressor(w->z);
    free(w->out.p);
    free(w->path);
    free(w->file_name);
    free(w);
}

enum hfx_status hfx__root_writer_close(struct hfx__root_writer * w, struct hfx_error * err) {
    if (!w) {
        return HFX_OK;
    }
    if (!err) { /* an aborted open */
        writer_free(w);
        return HFX_OK;
    }
    struct buf * b = &w->out;
    struct buf si = {0};
    put_streamer_info(&si, key_header_size("TList", "StreamerInfo", "Doubly linked list"));
    b->oom = b->oom || si.oom;
    uint32_t si_bytes = 0;
    uint32_t si_seek  = put_record(w, "TList", "StreamerInfo", "Doubly linked list", &si, &si_bytes);
    free(si.p);
    /* The key list of the top directory. */
    uint32_t keys_seek = (uint32_t) b->n;
    size_t   body      = 4;
    for (size_t i = 0; i < w->n_keys; i++) {
        body += w->keys[i].key_len;
    }
    size_t key_len = key_header_size("TFile", w->file_name, "");
    put_key(w, (uint32_t) (key_len + body), (uint32_t) body, keys_seek, "TFile", w->file_name, "");
    put_be(b, w->n_keys, 4);
    for (size_t i = 0; i < w->n_keys; i++) {
        const struct wkey * k = &w->keys[i];
        put_key(w, k->n_bytes, k->obj_len, k->seek, "TH1D", k->name, k->name);
    }
    uint32_t keys_bytes = (uint32_t) (key_len + body);
    /* The free-segment list: one segment from the end of the file to ROOT's 2 GB limit. */
    uint32_t free_seek  = (uint32_t) b->n;
    uint32_t free_bytes = (uint32_t) (key_len + 10);
    uint32_t end        = free_seek + free_bytes;
    put_key(w, free_bytes, 10, free_seek, "TFile", w->file_name, "");
    put_be(b, 1, 2), put_be(b, end, 4), put_be(b, 2000000000, 4);
    /* The top directory record. */
    size_t r = w->dir_record;
    patch_be(b, r, 5, 2);
    patch_be(b, r + 2, w->datime, 4), patch_be(b, r + 6, w->datime, 4);
    patch_be(b, r + 10, keys_bytes, 4), patch_be(b, r + 14, w->n_bytes_name, 4);
    patch_be(b, r + 18, BEGIN, 4), patch_be(b, r + 22, 0, 4), patch_be(b, r + 26, keys_seek, 4);
    patch_be(b, r + 30, 1, 2); /* UUID version; the UUID itself is left zero */
    /* The header. */
    if (!b->oom) {
        memcpy(b->p, "root", 4);
    }
    uint32_t fields[] = {62400, BEGIN, end, free_seek, free_bytes, 1, w->n_bytes_name};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        patch_be(b, 4 + 4 * i, fields[i], 4);
    }
    patch_be(b, 32, 4, 1);     /* fUnits: 4-byte seeks */
    patch_be(b, 33, 101, 4);   /* fCompress: zlib, level 1 */
    patch_be(b, 37, si_seek, 4);
    patch_be(b, 41, si_bytes, 4);
    patch_be(b, 45, 1, 2); /* UUID version */
    enum hfx_status st = HFX_OK;
    if (b->oom || b->n != end) {
        st = hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory writing %s", w->path);
    } else {
        FILE * f  = fopen(w->path, "wb");
        bool   ok = f && fwrite(b->p, 1, b->n, f) == b->n;
        if (f && fclose(f) != 0) {
            ok = false;
        }
        if (!ok) {
            st = hfx__error(err, HFX_ERR_IO, NULL, "cannot write %s", w->path);
        }
    }
    writer_free(w);
    return st;
}
