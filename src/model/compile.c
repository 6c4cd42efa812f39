/*
 * compile.c -- spec -> model: pyhf 0.7.6's model-building rules, turned into flat tables.
 *
 * The order of things is pyhf's, because users compare parameter vectors and data vectors with it:
 * - channels and samples in sorted name order; the main data is the observations of the sorted
 *   channels, concatenated;
 * - parameter sets grouped by modifier type (histosys, lumi, normfactor, normsys, shapefactor,
 *   shapesys, staterror); within a type in order of first appearance when walking sorted channels,
 *   sorted samples and the sample's modifiers sorted by (name, type) (pyhf pdf.py,
 *   _nominal_and_modifiers_from_spec); staterror sets in name order (its builder registers them in
 *   finalize(), in key order); a name carried by several types (normsys + histosys is common)
 *   is one parameter, placed with its first type, provided the types agree on its requirements;
 * - the auxiliary data: constrained parameter sets in parameter order.
 * What a modifier type asks of its parameter set and how it compiles (scalar factor, interpolated
 * scalar, histo delta, per-bin factor) is its row of model/modifier-types.h; this file reads the row,
 * never the type. The spec it compiles is validated (spec-build.c): names unique where they must be,
 * no (name, type) pair twice on a sample (pyhf's moddict would keep the last), no shapesys shared,
 * equal bin counts for a shared per-bin set; those cases are not checked again here.
 */
#include "model/compile.h"
#include "model/model.h"
#include "spec/spec.h"

#include "core/name-map.h"
#include "kernel/interp.h"
#include "model/modifier-types.h"

#include <math.h>
#include <string.h>

//
// String -> index maps (core/name-map.h) over the compile's temporary arena, sized up front
//

static bool name_map_init(struct hfx__name_map * m, struct hfx__arena * a, size_t n) {
    hfx__name_map_init(m, a);
    return hfx__name_map_reserve(m, n);
}

static bool name_map_get(const struct hfx__name_map * m, const char * key, size_t * val) {
    const size_t * v = hfx__name_map_get(m, key, 0);
    if (v) {
        *val = *v;
    }
    return v != NULL;
}

/* Never grows (the map was sized for every name it gets), so it cannot fail. */
static void name_map_put(struct hfx__name_map * m, const char * key, size_t val) {
    hfx__name_map_put(m, key, 0, val);
}

//
// Compile-time bookkeeping
//

/* One modifier as it acts on one (channel, sample), after deduplication. */
struct entry {
    const struct hfx_spec_modifier * mod;
    size_t                           block;
};

/* What a modifier type asks of its parameter set (pyhf's required_parset), to check name reuse. */
struct requirement {
    enum hfx_modifier_type type;
    int                    constraint; /* enum hfx_mod_constraint */
    bool                   scalar;
    size_t                 size;
    double *               init, * lo, * hi, * aux, * sigma, * factor; /* [size] or NULL */
    bool *                 fixed;
    const char *           pointer; /* first modifier that created it */
};

struct parset_build {
    const char *       name;
    struct requirement req;
    size_t             first_channel; /* per-bin sets: where their bins start (staterror masks) */
    size_t             offset;
};

struct compile {
    const struct hfx_spec *             spec;
    const struct hfx_spec_measurement * meas;
    const struct hfx_model_options *    opts;
    struct hfx_model *                  m;
    struct hfx__arena                   tmp;
    struct hfx_error *                  err;

    size_t *                            chan_order;  /* sorted -> spec index */
    size_t                              n_entries;
    struct entry *                      entries;     /* grouped by block, sorted by (name, type) */
    size_t *                            block_entry0, * block_n_entries;
    const struct hfx_spec_sample **     block_sample;

    size_t                              n_builds;
    struct parset_build *               builds;      /* in final parameter order after ordering */
    struct hfx__name_map                     parset_index; /* name -> index into builds */
};

static const char * type_name(enum hfx_modifier_type t) {
    return hfx__modifier_type_name(t);
}

static int cmp_str_ptr(const void * a, const void * b) {
    return strcmp(*(const char * const *) a, *(const char * const *) b);
}

//
// Step 1: channel and sample order, blocks, deduplicated modifier entries
//

static void sort_indices_by_name(size_t * idx, size_t n, const char * const * names) {
    /* insertion sort: channel counts are small, and this needs no global comparator state */
    for (size_t i = 0; i < n; ++i) {
        idx[i] = i;
    }
    for (size_t i = 1; i < n; ++i) {
        size_t v = idx[i];
        size_t j = i;
        while (j > 0 && strcmp(names[idx[j - 1]], names[v]) > 0) {
            idx[j] = idx[j - 1];
            --j;
        }
        idx[j] = v;
    }
}

/* qsort order of a sample's entries: (name, type). Spec validation refuses a pair given twice on one
 * sample (spec-build.c), so there are no ties. */
static int cmp_entry(const void * pa, const void * pb) {
    const struct entry * a = pa, * b = pb;
    int                  c = strcmp(a->mod->name, b->mod->name);
    return c != 0 ? c : strcmp(type_name(a->mod->type), type_name(b->mod->type));
}

/* The channels in sorted name order (cc->chan_order) and their bins in the main data; the numbers of
 * blocks and modifier entries to come. Spec validation refused a channel name given twice. */
static enum hfx_status order_channels(struct compile * cc, size_t * n_blocks, size_t * n_mod_entries) {
    const struct hfx_spec * spec = cc->spec;
    struct hfx_model *      m    = cc->m;
    const char ** cnames = hfx__arena_alloc(&cc->tmp, (spec->n_channels + 1) * sizeof *cnames);
    cc->chan_order       = hfx__arena_alloc(&cc->tmp, (spec->n_channels + 1) * sizeof *cc->chan_order);
    if (!cnames || !cc->chan_order) {
        return hfx__error(cc->err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    for (size_t c = 0; c < spec->n_channels; ++c) {
        cnames[c] = spec->channels[c].name;
    }
    sort_indices_by_name(cc->chan_order, spec->n_channels, cnames);

    m->n_channels     = spec->n_channels;
    m->channel_names  = hfx__arena_alloc(&m->arena, (m->n_channels + 1) * sizeof *m->channel_names);
    m->channel_bin0   = hfx__arena_alloc(&m->arena, (m->n_channels + 1) * sizeof *m->channel_bin0);
    m->channel_n_bins = hfx__arena_alloc(&m->arena, (m->n_channels + 1) * sizeof *m->channel_n_bins);
    if (!m->channel_names || !m->channel_bin0 || !m->channel_n_bins) {
        return hfx__error(cc->err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    size_t bin = 0;
    *n_blocks = *n_mod_entries = 0;
    for (size_t k = 0; k < m->n_channels; ++k) {
        const struct hfx_spec_channel * ch = &spec->channels[cc->chan_order[k]];
        m->channel_names[k]  = ch->name;
        m->channel_bin0[k]   = bin;
        m->channel_n_bins[k] = ch->n_bins;
        bin += ch->n_bins;
        *n_blocks += ch->n_samples;
        for (size_t s = 0; s < ch->n_samples; ++s) {
            *n_mod_entries += ch->samples[s].n_mods;
        }
    }
    m->n_bins = bin;
    return HFX_OK;
}

/* The sorted set of sample names over all channels (m->sample_names), and a map from name to index. */
static enum hfx_status order_samples(struct compile * cc, size_t n_blocks, struct hfx__name_map * sample_index) {
    const struct hfx_spec * spec = cc->spec;
    struct hfx_model *      m    = cc->m;
    const char ** snames = hfx__arena_alloc(&cc->tmp, (n_blocks + 1) * sizeof *snames);
    if (!snames) {
        return hfx__error(cc->err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    size_t ns = 0;
    for (size_t c = 0; c < spec->n_channels; ++c) {
        for (size_t s = 0; s < spec->channels[c].n_samples; ++s) {
            snames[ns++] = spec->channels[c].samples[s].name;
        }
    }
    qsort(snames, ns, sizeof *snames, cmp_str_ptr);
    size_t nu = 0;
    for (size_t i = 0; i < ns; ++i) {
        if (nu == 0 || strcmp(snames[nu - 1], snames[i]) != 0) {
            snames[nu++] = snames[i];
        }
    }
    m->n_samples    = nu;
    m->sample_names = hfx__arena_alloc(&m->arena, (nu + 1) * sizeof *m->sample_names);
    if (!m->sample_names || !name_map_init(sample_index, &cc->tmp, nu)) {
        return hfx__error(cc->err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    for (size_t i = 0; i < nu; ++i) {
        m->sample_names[i] = snames[i];
        name_map_put(sample_index, snames[i], i);
    }
    return HFX_OK;
}

/* Block nb of sample sa in sorted channel k: its bins, its nominal's place, and its modifier entries
 * (from cc->entries[*ne] on) sorted by (name, type). */
static void add_block(struct compile * cc, size_t nb, size_t k, const struct hfx_spec_sample * sa, size_t sample,
                      size_t * nom, size_t * ne) {
    struct hfx_model * m = cc->m;
    struct hfx_block * b = &m->blocks[nb];
    b->channel           = (int32_t) k;
    b->sample            = (int32_t) sample;
    b->bin0              = (int64_t) m->channel_bin0[k];
    b->n_bins            = (int64_t) m->channel_n_bins[k];
    b->nom               = (int64_t) *nom;
    *nom += m->channel_n_bins[k];
    cc->block_sample[nb] = sa;
    for (size_t j = 0; j < sa->n_mods; ++j) {
        cc->entries[*ne + j] = (struct entry){&sa->mods[j], nb};
    }
    qsort(&cc->entries[*ne], sa->n_mods, sizeof *cc->entries, cmp_entry);
    cc->block_entry0[nb]    = *ne;
    cc->block_n_entries[nb] = sa->n_mods;
    *ne += sa->n_mods;
}

static enum hfx_status build_blocks(struct compile * cc) {
    const struct hfx_spec * spec = cc->spec;
    struct hfx_model *      m    = cc->m;
    size_t                  n_blocks = 0, n_mod_entries = 0;
    struct hfx__name_map         sample_index = {0};
    enum hfx_status         st = order_channels(cc, &n_blocks, &n_mod_entries);
    if (st != HFX_OK || (st = order_samples(cc, n_blocks, &sample_index)) != HFX_OK) {
        return st;
    }

    /* blocks in (sorted channel, sorted sample) order, with their modifier entries; spec validation
     * refused a sample name given twice in a channel */
    m->blocks           = hfx__arena_alloc(&m->arena, (n_blocks + 1) * sizeof *m->blocks);
    cc->block_entry0    = hfx__arena_alloc(&cc->tmp, (n_blocks + 1) * sizeof *cc->block_entry0);
    cc->block_n_entries = hfx__arena_alloc(&cc->tmp, (n_blocks + 1) * sizeof *cc->block_n_entries);
    cc->block_sample    = hfx__arena_alloc(&cc->tmp, (n_blocks + 1) * sizeof *cc->block_sample);
    cc->entries         = hfx__arena_alloc(&cc->tmp, (n_mod_entries + 1) * sizeof *cc->entries);
    size_t * sorder     = hfx__arena_alloc(&cc->tmp, (n_blocks + 1) * sizeof *sorder);
    const char ** chsn  = hfx__arena_alloc(&cc->tmp, (n_blocks + 1) * sizeof *chsn);
    if (!m->blocks || !cc->block_entry0 || !cc->block_n_entries || !cc->block_sample || !cc->entries || !sorder ||
        !chsn) {
        return hfx__error(cc->err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    size_t nb = 0, ne = 0, nom = 0;
    for (size_t k = 0; k < m->n_channels; ++k) {
        const struct hfx_spec_channel * ch = &spec->channels[cc->chan_order[k]];
        for (size_t s = 0; s < ch->n_samples; ++s) {
            chsn[s] = ch->samples[s].name;
        }
        sort_indices_by_name(sorder, ch->n_samples, chsn);
        for (size_t t = 0; t < ch->n_samples; ++t, ++nb) {
            const struct hfx_spec_sample * sa = &ch->samples[sorder[t]];
            size_t                         si = 0;
            name_map_get(&sample_index, sa->name, &si);
            add_block(cc, nb, k, sa, si, &nom, &ne);
        }
    }
    m->n_blocks            = nb;
    m->n_nominal           = nom;
    cc->n_entries          = ne;
    m->n_modifier_entries  = ne;
    m->nominal             = hfx__arena_alloc(&m->arena, (nom + 1) * sizeof *m->nominal);
    if (!m->nominal) {
        return hfx__error(cc->err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    for (size_t k = 0; k < nb; ++k) {
        memcpy(&m->nominal[m->blocks[k].nom], cc->block_sample[k]->data,
               (size_t) m->blocks[k].n_bins * sizeof(double));
    }
    return HFX_OK;
}

//
// Step 2: parameter sets, their requirements and order
//

static double * dup_fill(struct hfx__arena * a, size_t n, double v) {
    double * p = hfx__arena_alloc(a, (n + 1) * sizeof *p);
    if (p) {
        for (size_t i = 0; i < n; ++i) {
            p[i] = v;
        }
    }
    return p;
}

/* The requirement modifier entry e makes of its parameter set (pyhf required_parset), from its type's
 * row (modifier-types.h): a set of one parameter or one per bin of the sample, the row's defaults, and
 * for a Poisson width (shapesys) tau = (nominal / data)^2 per bin, fixed where nominal or data is not
 * positive. A set of the channels' bins (staterror) is made per name, by channel_set_requirement. */
static enum hfx_status make_requirement(struct compile * cc, const struct entry * e, struct requirement * r) {
    struct hfx__arena *              a    = &cc->tmp;
    const struct hfx_block *         b    = &cc->m->blocks[e->block];
    const struct hfx_spec_modifier * mod  = e->mod;
    const struct hfx__modifier_rules * type = hfx__modifier_rules_of(mod->type);
    size_t                           n    = (size_t) b->n_bins;
    memset(r, 0, sizeof *r);
    r->type       = mod->type;
    r->pointer    = mod->pointer;
    r->constraint = (int) type->constraint;
    r->scalar     = type->set == HFX_MOD_SET_SCALAR;
    r->size       = r->scalar ? 1 : n;
    if (!type->has_defaults) {
        return HFX_OK; /* inits, bounds, auxdata, sigmas must come from the measurement (pyhf: None) */
    }
    r->init = dup_fill(a, r->size, type->init);
    r->lo   = dup_fill(a, r->size, type->lo);
    r->hi   = dup_fill(a, r->size, type->hi);
    if (!r->init || !r->lo || !r->hi) {
        return hfx__error(cc->err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    if (type->width == HFX_MOD_WIDTH_POISSON) {
        r->factor = dup_fill(a, r->size, 1.0);
        r->fixed  = hfx__arena_alloc(a, r->size + 1);
        if (!r->factor || !r->fixed) {
            return hfx__error(cc->err, HFX_ERR_ALLOC, NULL, "out of memory");
        }
        const double * nomd = &cc->m->nominal[b->nom];
        for (size_t i = 0; i < r->size; ++i) {
            bool valid   = nomd[i] > 0 && mod->data[i] > 0;
            r->factor[i] = valid ? (nomd[i] * nomd[i]) / (mod->data[i] * mod->data[i]) : 1.0;
            r->fixed[i]  = !valid;
        }
        r->aux = r->factor;
    } else if (type->constraint == HFX_MOD_CONSTRAINT_GAUSS) {
        r->aux   = dup_fill(a, r->size, type->aux);
        r->sigma = dup_fill(a, r->size, type->sigma);
        if (!r->aux || !r->sigma) {
            return hfx__error(cc->err, HFX_ERR_ALLOC, NULL, "out of memory");
        }
    }
    return HFX_OK;
}

/* A set of the channels' bins (HFX_MOD_SET_CHANNEL_BINS), pyhf staterror_builder.finalize: one
 * parameter per bin of the channels carrying the modifier, with the width HFX_MOD_WIDTH_STAT:
 * sigma_bin = sqrt(sum_s unc_s^2) / sum_s nom_s over the samples carrying it (the nominal sum runs
 * over every sample that carries it anywhere); sigma = 0 bins are fixed with sigma 1. */
static enum hfx_status channel_set_requirement(struct compile * cc, enum hfx_modifier_type t, const char * name,
                                               struct requirement * r) {
    struct hfx_model *               m    = cc->m;
    const struct hfx__modifier_rules * type = hfx__modifier_rules_of(t);
    HFX_ASSERT(type->set == HFX_MOD_SET_CHANNEL_BINS && type->width == HFX_MOD_WIDTH_STAT && type->has_defaults);
    /* which samples carry it, and in which channels */
    bool *   carries_sample = hfx__arena_alloc(&cc->tmp, m->n_samples + 1);
    bool *   in_channel     = hfx__arena_alloc(&cc->tmp, m->n_channels + 1);
    if (!carries_sample || !in_channel) {
        return hfx__error(cc->err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    const char * first_ptr = NULL;
    for (size_t q = 0; q < cc->n_entries; ++q) {
        const struct entry * e = &cc->entries[q];
        if (e->mod->type == t && strcmp(e->mod->name, name) == 0) {
            const struct hfx_block * b = &m->blocks[e->block];
            carries_sample[b->sample]  = true;
            in_channel[b->channel]     = true;
            if (!first_ptr) {
                first_ptr = e->mod->pointer;
            }
        }
    }
    /* pyhf requires every sample carrying it to carry it in the same channels (its per-sample bin
     * masks must agree), also where the sample is absent from one of them */
    size_t * n_carried = hfx__arena_alloc(&cc->tmp, (m->n_samples + 1) * sizeof *n_carried);
    if (!n_carried) {
        return hfx__error(cc->err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    for (size_t q = 0; q < cc->n_entries; ++q) {
        const struct entry * e = &cc->entries[q];
        if (e->mod->type == t && strcmp(e->mod->name, name) == 0) {
            ++n_carried[m->blocks[e->block].sample];
        }
    }
    size_t n_channels_with = 0;
    for (size_t c = 0; c < m->n_channels; ++c) {
        n_channels_with += in_channel[c] ? 1 : 0;
    }
    for (size_t s = 0; s < m->n_samples; ++s) {
        if (carries_sample[s] && n_carried[s] != n_channels_with) {
            return hfx__error(cc->err, HFX_ERR_MODEL, first_ptr,
                              "%s '%s' is carried by sample '%s' in %zu of the %zu channels that use it (pyhf "
                              "requires the same channels for every sample carrying it)",
                              type->name, name, m->sample_names[s], n_carried[s], n_channels_with);
        }
    }
    size_t n = 0;
    for (size_t c = 0; c < m->n_channels; ++c) {
        n += in_channel[c] ? m->channel_n_bins[c] : 0;
    }
    memset(r, 0, sizeof *r);
    r->type       = t;
    r->constraint = (int) type->constraint;
    r->scalar     = false;
    r->size       = n;
    r->pointer    = first_ptr;
    r->init       = dup_fill(&cc->tmp, n, type->init);
    r->lo         = dup_fill(&cc->tmp, n, type->lo);
    r->hi         = dup_fill(&cc->tmp, n, type->hi);
    r->aux        = dup_fill(&cc->tmp, n, type->aux);
    r->sigma      = dup_fill(&cc->tmp, n, 0.0);
    r->fixed      = hfx__arena_alloc(&cc->tmp, n + 1);
    double * nomsall = dup_fill(&cc->tmp, n, 0.0);
    if (!r->init || !r->lo || !r->hi || !r->aux || !r->sigma || !r->fixed || !nomsall) {
        return hfx__error(cc->err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    /* bins of the carrying channels, in sorted channel order: param j <-> (channel, bin) */
    size_t off = 0;
    for (size_t c = 0; c < m->n_channels; ++c) {
        if (!in_channel[c]) {
            continue;
        }
        for (size_t k = 0; k < m->n_blocks; ++k) {
            const struct hfx_block * b = &m->blocks[k];
            if ((size_t) b->channel == c && carries_sample[b->sample]) {
                for (int64_t i = 0; i < b->n_bins; ++i) {
                    nomsall[off + (size_t) i] += m->nominal[b->nom + i];
                }
            }
        }
        for (size_t k = 0; k < m->n_blocks; ++k) {
            const struct hfx_block * b = &m->blocks[k];
            if ((size_t) b->channel != c) {
                continue;
            }
            for (size_t q = cc->block_entry0[k]; q < cc->block_entry0[k] + cc->block_n_entries[k]; ++q) {
                const struct hfx_spec_modifier * mod = cc->entries[q].mod;
                if (mod->type != t || strcmp(mod->name, name) != 0) {
                    continue;
                }
                for (int64_t i = 0; i < b->n_bins; ++i) {
                    double tot = nomsall[off + (size_t) i];
                    double rel = tot > 0 ? mod->data[i] / tot : 0.0;
                    r->sigma[off + (size_t) i] += rel * rel;
                }
            }
        }
        off += m->channel_n_bins[c];
    }
    for (size_t j = 0; j < n; ++j) {
        r->sigma[j] = sqrt(r->sigma[j]);
        r->fixed[j] = r->sigma[j] == 0.0;
        if (r->fixed[j]) {
            r->sigma[j] = 1.0;
        }
    }
    return HFX_OK;
}

static bool same_vec(const double * a, const double * b, size_t n) {
    if (!a || !b) {
        return a == b;
    }
    for (size_t i = 0; i < n; ++i) {
        if (a[i] != b[i]) {
            return false;
        }
    }
    return true;
}

static bool same_requirement(const struct requirement * a, const struct requirement * b) {
    if (a->constraint != b->constraint || a->scalar != b->scalar || a->size != b->size) {
        return false;
    }
    if ((a->fixed == NULL) != (b->fixed == NULL)) {
        return false;
    }
    if (a->fixed && b->fixed && memcmp(a->fixed, b->fixed, a->size) != 0) {
        return false;
    }
    return same_vec(a->init, b->init, a->size) && same_vec(a->lo, b->lo, a->size) &&
           same_vec(a->hi, b->hi, a->size) && same_vec(a->aux, b->aux, a->size) &&
           same_vec(a->sigma, b->sigma, a->size) && same_vec(a->factor, b->factor, a->size);
}

/* The names of each type's parameter sets in layout order (names[t][0..n[t])), with the entry that
 * first carries each (first[t][i]): first appearance in the walk, or name order where the type's row
 * says so. A name carried by several samples is one set; spec validation refused a shapesys (a type
 * that is not shared) carried twice, and a per-bin set carried with two bin counts. */
static enum hfx_status set_names(struct compile * cc, const char ** names[HFX_MOD_COUNT], size_t * first[HFX_MOD_COUNT],
                                 size_t n[HFX_MOD_COUNT]) {
    size_t          cap = cc->n_entries + 1;
    struct hfx__name_map seen[HFX_MOD_COUNT];
    for (int t = 0; t < HFX_MOD_COUNT; ++t) {
        n[t]     = 0;
        names[t] = hfx__arena_alloc(&cc->tmp, cap * sizeof **names);
        first[t] = hfx__arena_alloc(&cc->tmp, cap * sizeof **first);
        if (!names[t] || !first[t] || !name_map_init(&seen[t], &cc->tmp, cap)) {
            return hfx__error(cc->err, HFX_ERR_ALLOC, NULL, "out of memory");
        }
    }
    for (size_t q = 0; q < cc->n_entries; ++q) {
        const struct hfx_spec_modifier * mod = cc->entries[q].mod;
        size_t                           dummy;
        if (!name_map_get(&seen[mod->type], mod->name, &dummy)) {
            name_map_put(&seen[mod->type], mod->name, n[mod->type]);
            first[mod->type][n[mod->type]]   = q;
            names[mod->type][n[mod->type]++] = mod->name;
        }
    }
    for (int t = 0; t < HFX_MOD_COUNT; ++t) {
        if (hfx__modifier_rules_of((enum hfx_modifier_type) t)->sets_by_name) {
            qsort(names[t], n[t], sizeof(const char *), cmp_str_ptr); /* first[t] is unused for these */
        }
    }
    return HFX_OK;
}

/* The parameter sets in pyhf's order: by type (the enum's order), then set_names' order; a name that
 * an earlier type already placed (normsys + histosys) is one set, provided the requirements agree. */
static enum hfx_status build_parsets(struct compile * cc) {
    size_t cap = cc->n_entries + 1;
    cc->builds = hfx__arena_alloc(&cc->tmp, cap * sizeof *cc->builds);
    if (!cc->builds || !name_map_init(&cc->parset_index, &cc->tmp, cap)) {
        return hfx__error(cc->err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    const char **   order[HFX_MOD_COUNT];
    size_t *        first_entry[HFX_MOD_COUNT];
    size_t          n_order[HFX_MOD_COUNT];
    enum hfx_status st = set_names(cc, order, first_entry, n_order);
    for (int t = 0; t < HFX_MOD_COUNT && st == HFX_OK; ++t) {
        bool channel_set = hfx__modifier_rules_of((enum hfx_modifier_type) t)->set == HFX_MOD_SET_CHANNEL_BINS;
        for (size_t i = 0; i < n_order[t] && st == HFX_OK; ++i) {
            const char *       name = order[t][i];
            struct requirement req;
            st = channel_set ? channel_set_requirement(cc, (enum hfx_modifier_type) t, name, &req)
                             : make_requirement(cc, &cc->entries[first_entry[t][i]], &req);
            if (st != HFX_OK) {
                break;
            }
            size_t idx;
            if (name_map_get(&cc->parset_index, name, &idx)) {
                struct parset_build * pb = &cc->builds[idx];
                if (!same_requirement(&pb->req, &req)) {
                    st = hfx__error(cc->err, HFX_ERR_MODEL, req.pointer,
                                    "modifier name '%s' is used as both %s and %s, which need different "
                                    "parameters (use unique modifier names)",
                                    name, type_name(pb->req.type), type_name(req.type));
                }
                continue;
            }
            struct parset_build * pb = &cc->builds[cc->n_builds];
            pb->name                 = name;
            pb->req                  = req;
            name_map_put(&cc->parset_index, name, cc->n_builds);
            ++cc->n_builds;
        }
    }
    return st;
}

/* Measurement overrides (pyhf reduce_paramsets_requirements): each given key replaces the default and
 * must have the set's length; a key the set does not use is an error; names not in the model are
 * ignored, as pyhf does (a patch may remove the modifier). */
static enum hfx_status apply_parconfig(struct compile * cc, struct parset_build * pb,
                                       const struct hfx_spec_parconfig * pc) {
    struct requirement * r = &pb->req;
    const char *         why = NULL;
    size_t               n = r->size;
#define HFX_CHECK_LEN(field, count)                                                                          \
    if ((count) != n) {                                                                                      \
        return hfx__error(cc->err, HFX_ERR_MODEL, pc->pointer,                                              \
                          "parameter '%s' has %zu entries in '" field "' but the model has %zu parameters "  \
                          "for it",                                                                          \
                          pc->name, (size_t) (count), n);                                                    \
    }
    if (pc->n_inits) {
        HFX_CHECK_LEN("inits", pc->n_inits);
        r->init = (double *) pc->inits;
    }
    if (pc->n_bounds) {
        HFX_CHECK_LEN("bounds", pc->n_bounds);
        double * lo = hfx__arena_alloc(&cc->tmp, (n + 1) * sizeof *lo);
        double * hi = hfx__arena_alloc(&cc->tmp, (n + 1) * sizeof *hi);
        if (!lo || !hi) {
            return hfx__error(cc->err, HFX_ERR_ALLOC, NULL, "out of memory");
        }
        for (size_t i = 0; i < n; ++i) {
            lo[i] = pc->bounds[2 * i];
            hi[i] = pc->bounds[2 * i + 1];
        }
        r->lo = lo;
        r->hi = hi;
    }
    if (pc->n_auxdata) {
        if (r->constraint == HFX_MOD_CONSTRAINT_NONE) {
            why = "auxdata";
        } else {
            HFX_CHECK_LEN("auxdata", pc->n_auxdata);
            r->aux = (double *) pc->auxdata;
        }
    }
    if (pc->n_sigmas) {
        if (r->constraint != HFX_MOD_CONSTRAINT_GAUSS) {
            why = "sigmas";
        } else {
            HFX_CHECK_LEN("sigmas", pc->n_sigmas);
            r->sigma = (double *) pc->sigmas;
        }
    }
    if (pc->n_factors) {
        if (r->constraint != HFX_MOD_CONSTRAINT_POISSON) {
            why = "factors";
        } else {
            HFX_CHECK_LEN("factors", pc->n_factors);
            r->factor = (double *) pc->factors;
        }
    }
#undef HFX_CHECK_LEN
    if (why) {
        return hfx__error(cc->err, HFX_ERR_MODEL, pc->pointer, "parameter '%s' (%s) does not use '%s'", pc->name,
                          type_name(r->type), why);
    }
    if (pc->has_fixed) {
        bool * f = hfx__arena_alloc(&cc->tmp, n + 1);
        if (!f) {
            return hfx__error(cc->err, HFX_ERR_ALLOC, NULL, "out of memory");
        }
        memset(f, pc->fixed ? 1 : 0, n);
        r->fixed = f;
    }
    return HFX_OK;
}

/* The measurement's parameter configs applied to the sets they name (spec validation refused a name
 * configured twice). */
static enum hfx_status apply_parconfigs(struct compile * cc) {
    for (size_t i = 0; i < cc->meas->n_parconfigs; ++i) {
        const struct hfx_spec_parconfig * pc = &cc->meas->parconfigs[i];
        size_t                            idx;
        if (name_map_get(&cc->parset_index, pc->name, &idx)) {
            enum hfx_status st = apply_parconfig(cc, &cc->builds[idx], pc);
            if (st != HFX_OK) {
                return st;
            }
        }
    }
    return HFX_OK;
}

/* Parameter j of set pb, at index k: its init, bounds, name, and its constraint term (the auxiliary
 * datum at *aux, the Gaussian or Poisson term appended at *g or *p). */
static enum hfx_status fill_parameter(struct compile * cc, const struct parset_build * pb, size_t j, size_t * aux,
                                      size_t * g, size_t * p) {
    struct hfx_model *         m = cc->m;
    const struct requirement * r = &pb->req;
    size_t                     k = pb->offset + j;
    m->init[k]  = r->init[j];
    m->lower[k] = r->lo[j];
    m->upper[k] = r->hi[j];
    m->fixed[k] = r->fixed ? r->fixed[j] : false;
    if (r->scalar) {
        m->par_names[k] = pb->name;
    } else {
        char buf[64];
        snprintf(buf, sizeof buf, "[%zu]", j);
        size_t len  = strlen(pb->name) + strlen(buf) + 1;
        char * name = hfx__arena_alloc(&m->arena, len);
        if (!name) {
            return hfx__error(cc->err, HFX_ERR_ALLOC, NULL, "out of memory");
        }
        snprintf(name, len, "%s%s", pb->name, buf);
        m->par_names[k] = name;
    }
    if (!(m->lower[k] <= m->upper[k]) || !isfinite(m->lower[k]) || !isfinite(m->upper[k])) {
        return hfx__error(cc->err, HFX_ERR_MODEL, r->pointer, "parameter '%s' has impossible bounds [%g, %g]",
                          m->par_names[k], m->lower[k], m->upper[k]);
    }
    if (!isfinite(m->init[k])) {
        return hfx__error(cc->err, HFX_ERR_MODEL, r->pointer, "parameter '%s' has a non-finite init", m->par_names[k]);
    }
    if (r->constraint == HFX_MOD_CONSTRAINT_GAUSS) {
        if (!(r->sigma[j] > 0) || !isfinite(r->sigma[j])) {
            return hfx__error(cc->err, HFX_ERR_MODEL, r->pointer,
                              "parameter '%s' has a non-positive constraint width %g", m->par_names[k], r->sigma[j]);
        }
        m->gauss[(*g)++] = (struct hfx_gauss){(int32_t) k, (int32_t) *aux, r->sigma[j]};
    } else if (r->constraint == HFX_MOD_CONSTRAINT_POISSON) {
        if (!(r->factor[j] > 0) || !isfinite(r->factor[j])) {
            return hfx__error(cc->err, HFX_ERR_MODEL, r->pointer,
                              "parameter '%s' has a non-positive Poisson constraint factor %g", m->par_names[k],
                              r->factor[j]);
        }
        m->pois[(*p)++] = (struct hfx_pois){(int32_t) k, (int32_t) *aux, r->factor[j]};
    }
    if (r->constraint != HFX_MOD_CONSTRAINT_NONE) {
        m->observed[m->n_bins + *aux] = r->aux[j];
        ++*aux;
    }
    return HFX_OK;
}

static enum hfx_status layout_parameters(struct compile * cc) {
    struct hfx_model * m  = cc->m;
    enum hfx_status    st = apply_parconfigs(cc);
    if (st != HFX_OK) {
        return st;
    }
    size_t n_pars = 0, n_aux = 0, n_gauss = 0, n_pois = 0;
    for (size_t i = 0; i < cc->n_builds; ++i) {
        struct parset_build * pb = &cc->builds[i];
        struct requirement *  r  = &pb->req;
        if (!hfx__modifier_rules_of(r->type)->has_defaults && (!r->init || !r->lo || !r->aux || !r->sigma)) {
            return hfx__error(cc->err, HFX_ERR_MODEL, r->pointer,
                              "%s parameter '%s' needs inits, bounds, auxdata and sigmas in the config of "
                              "measurement '%s'",
                              type_name(r->type), pb->name, cc->meas->name);
        }
        pb->offset = n_pars;
        n_pars += r->size;
        if (r->constraint != HFX_MOD_CONSTRAINT_NONE) {
            n_aux += r->size;
            if (r->constraint == HFX_MOD_CONSTRAINT_GAUSS) {
                n_gauss += r->size;
            } else {
                n_pois += r->size;
            }
        }
    }
    m->n_pars    = n_pars;
    m->n_parsets = cc->n_builds;
    m->n_aux     = n_aux;
    m->n_gauss   = n_gauss;
    m->n_pois    = n_pois;
    m->parsets   = hfx__arena_alloc(&m->arena, (cc->n_builds + 1) * sizeof *m->parsets);
    m->init      = hfx__arena_alloc(&m->arena, (n_pars + 1) * sizeof(double));
    m->lower     = hfx__arena_alloc(&m->arena, (n_pars + 1) * sizeof(double));
    m->upper     = hfx__arena_alloc(&m->arena, (n_pars + 1) * sizeof(double));
    m->fixed     = hfx__arena_alloc(&m->arena, (n_pars + 1) * sizeof(bool));
    m->par_names = hfx__arena_alloc(&m->arena, (n_pars + 1) * sizeof(char *));
    m->gauss     = hfx__arena_alloc(&m->arena, (n_gauss + 1) * sizeof *m->gauss);
    m->pois      = hfx__arena_alloc(&m->arena, (n_pois + 1) * sizeof *m->pois);
    m->observed  = hfx__arena_alloc(&m->arena, (m->n_bins + n_aux + 1) * sizeof(double));
    if (!m->parsets || !m->init || !m->lower || !m->upper || !m->fixed || !m->par_names || !m->gauss || !m->pois ||
        !m->observed) {
        return hfx__error(cc->err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    size_t aux = 0, g = 0, p = 0;
    for (size_t i = 0; i < cc->n_builds; ++i) {
        struct parset_build * pb = &cc->builds[i];
        m->parsets[i].name   = pb->name;
        m->parsets[i].type   = pb->req.type;
        m->parsets[i].offset = pb->offset;
        m->parsets[i].size   = pb->req.size;
        for (size_t j = 0; j < pb->req.size; ++j) {
            if ((st = fill_parameter(cc, pb, j, &aux, &g, &p)) != HFX_OK) {
                return st;
            }
        }
    }
    return HFX_OK;
}

//
// Step 3: modifier tables
//

/* Where build_tables writes next, and what it learns about the parameters on the way. */
struct tables {
    size_t   ns, npb, nh, nhv;  /* scalars, per-bin factors, histos and histo values written */
    bool *   moves;             /* [n_pars] some template has a slope at 0 */
    bool *   interp;            /* [n_pars] carries normsys or histosys */
    size_t * chan_slot;         /* [n_builds] 1 + the slot of a set of the channels' bins, 0 for other sets */
    size_t * chan_start;        /* [slot * n_channels + c] where channel c's bins start within that set */
};

/* The sizes of the tables, from the compiled form of each entry's type. */
static void count_tables(const struct compile * cc, size_t * n_scalar, size_t * n_perbin, size_t * n_histo,
                         size_t * n_hvals) {
    *n_scalar = *n_perbin = *n_histo = *n_hvals = 0;
    for (size_t q = 0; q < cc->n_entries; ++q) {
        switch (hfx__modifier_rules_of(cc->entries[q].mod->type)->form) {
        case HFX_MOD_FORM_FACTOR:
        case HFX_MOD_FORM_NORMSYS: ++*n_scalar; break;
        case HFX_MOD_FORM_HISTO:
            ++*n_histo;
            *n_hvals += (size_t) cc->m->blocks[cc->entries[q].block].n_bins;
            break;
        case HFX_MOD_FORM_PERBIN: ++*n_perbin; break;
        }
    }
}

/* Sets of the channels' bins (staterror): where each carrying channel's bins start within the set (its
 * parameters run over the carrying channels' bins in sorted channel order), found in one pass over the
 * entries. */
static enum hfx_status channel_set_starts(struct compile * cc, struct tables * t) {
    struct hfx_model * m      = cc->m;
    size_t             nc     = m->n_channels;
    size_t             n_slot = 0;
    t->chan_slot              = hfx__arena_alloc(&cc->tmp, (cc->n_builds + 1) * sizeof *t->chan_slot);
    if (!t->chan_slot) {
        return hfx__error(cc->err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    for (size_t q = 0; q < cc->n_entries; ++q) {
        const struct hfx_spec_modifier * mod = cc->entries[q].mod;
        size_t                           idx = 0;
        if (hfx__modifier_rules_of(mod->type)->set == HFX_MOD_SET_CHANNEL_BINS &&
            name_map_get(&cc->parset_index, mod->name, &idx) && t->chan_slot[idx] == 0) {
            t->chan_slot[idx] = ++n_slot; /* 1-based: 0 means not a set of the channels' bins */
        }
    }
    t->chan_start = hfx__arena_alloc(&cc->tmp, (n_slot * nc + 1) * sizeof *t->chan_start);
    if (!t->chan_start) {
        return hfx__error(cc->err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    for (size_t q = 0; q < cc->n_entries; ++q) { /* first mark the carrying channels */
        const struct hfx_spec_modifier * mod = cc->entries[q].mod;
        size_t                           idx = 0;
        if (hfx__modifier_rules_of(mod->type)->set == HFX_MOD_SET_CHANNEL_BINS &&
            name_map_get(&cc->parset_index, mod->name, &idx)) {
            t->chan_start[(t->chan_slot[idx] - 1) * nc + (size_t) m->blocks[cc->entries[q].block].channel] = 1;
        }
    }
    for (size_t u = 0; u < n_slot; ++u) { /* then turn the marks into offsets */
        size_t start = 0;
        for (size_t c = 0; c < nc; ++c) {
            bool has                = t->chan_start[u * nc + c] != 0;
            t->chan_start[u * nc + c] = start;
            start += has ? m->channel_n_bins[c] : 0;
        }
    }
    return HFX_OK;
}

/* A normsys: a scalar interpolated from (hi, lo) with the model's code. */
static enum hfx_status add_normsys(struct compile * cc, const struct hfx_spec_modifier * mod, int32_t par,
                                   struct tables * t) {
    struct hfx_model * m = cc->m;
    if (m->normsys_code == HFX_INTERP_CODE4 && (!(mod->hi > 0) || !(mod->lo > 0))) {
        return hfx__error(cc->err, HFX_ERR_MODEL, mod->pointer,
                          "normsys '%s' needs hi > 0 and lo > 0 for interpolation code4 (got hi=%g, lo=%g)", mod->name,
                          mod->hi, mod->lo);
    }
    struct hfx_mod_scalar s = {.kind = HFX_SCALAR_NORMSYS, .par = par, .hi = mod->hi, .lo = mod->lo};
    if (m->normsys_code == HFX_INTERP_CODE4) {
        hfx_normsys_code4_coef(mod->hi, mod->lo, s.coef);
        t->moves[par] = t->moves[par] || s.coef[0] != 0.0; /* a1: the slope at 0 */
    } else {
        m->explore[par] = true;
    }
    t->interp[par] = true;
    /* hi and lo on the same side of 1: the interpolation turns around inside [-1, 1] */
    m->nonmonotone[par] = m->nonmonotone[par] || (mod->hi - 1.0) * (mod->lo - 1.0) > 0;
    m->scalars[t->ns++] = s;
    return HFX_OK;
}

/* A histosys of block b: the deltas hi - nominal and nominal - lo, and code4p's S and A per bin. */
static void add_histo(struct compile * cc, const struct hfx_block * b, const struct hfx_spec_modifier * mod,
                      int32_t par, struct tables * t) {
    struct hfx_model * m = cc->m;
    m->explore[par]      = m->explore[par] || m->histosys_code == HFX_INTERP_CODE0;
    t->interp[par]       = true;
    const double * nomd  = &m->nominal[b->nom];
    double *       up    = &m->histo_up[t->nhv], * dn = &m->histo_dn[t->nhv];
    bool           zero  = true; /* hi = lo = nominal in every bin */
    for (int64_t i = 0; i < b->n_bins; ++i) {
        up[i] = mod->hi_data[i] - nomd[i];
        dn[i] = nomd[i] - mod->lo_data[i];
        hfx_histosys_code4p_sa(up[i], dn[i], &m->histo_s[t->nhv + (size_t) i], &m->histo_a[t->nhv + (size_t) i]);
        /* code2 and code4p have slope (up + dn) / 2 at 0 */
        t->moves[par]       = t->moves[par] || up[i] + dn[i] != 0.0;
        m->nonmonotone[par] = m->nonmonotone[par] || up[i] * dn[i] < 0;
        zero                = zero && up[i] == 0.0 && dn[i] == 0.0;
    }
    /* a template that moves nothing adds exactly 0 to every bin and its gradient, whatever the
     * (finite) alpha: it is left out of the table (a third of sbottom's 856), its parameter keeps its
     * flags and its constraint */
    if (!zero) {
        m->histos[t->nh++] = (struct hfx_mod_histo){.par = par, .off = (int64_t) t->nhv};
        t->nhv += (size_t) b->n_bins;
    }
}

/* Modifier mod of block b, in the table of its type's compiled form. */
static enum hfx_status add_entry(struct compile * cc, const struct hfx_block * b, const struct hfx_spec_modifier * mod,
                                 struct tables * t) {
    const struct hfx__modifier_rules * type = hfx__modifier_rules_of(mod->type);
    size_t                           idx  = 0;
    name_map_get(&cc->parset_index, mod->name, &idx);
    int32_t par = (int32_t) cc->builds[idx].offset;
    switch (type->form) {
    case HFX_MOD_FORM_FACTOR:
        cc->m->scalars[t->ns++] = (struct hfx_mod_scalar){.kind = HFX_SCALAR_FACTOR, .par = par};
        break;
    case HFX_MOD_FORM_NORMSYS: return add_normsys(cc, mod, par, t);
    case HFX_MOD_FORM_HISTO: add_histo(cc, b, mod, par, t); break;
    case HFX_MOD_FORM_PERBIN: {
        /* parameter i <-> bin i of the block, or of the block's channel within a set of the channels' bins */
        size_t start = 0;
        if (type->set == HFX_MOD_SET_CHANNEL_BINS) {
            start = t->chan_start[(t->chan_slot[idx] - 1) * cc->m->n_channels + (size_t) b->channel];
        }
        cc->m->perbins[t->npb++] = (struct hfx_mod_perbin){.par0 = par + (int32_t) start, .type = mod->type};
        break;
    }
    }
    return HFX_OK;
}

static enum hfx_status build_tables(struct compile * cc) {
    struct hfx_model * m = cc->m;
    size_t             n_scalar, n_perbin, n_histo, n_hvals;
    count_tables(cc, &n_scalar, &n_perbin, &n_histo, &n_hvals);
    struct tables t = {0};
    m->scalars  = hfx__arena_alloc(&m->arena, (n_scalar + 1) * sizeof *m->scalars);
    m->perbins  = hfx__arena_alloc(&m->arena, (n_perbin + 1) * sizeof *m->perbins);
    m->histos   = hfx__arena_alloc(&m->arena, (n_histo + 1) * sizeof *m->histos);
    m->histo_up = hfx__arena_alloc(&m->arena, (n_hvals + 1) * sizeof(double));
    m->histo_dn = hfx__arena_alloc(&m->arena, (n_hvals + 1) * sizeof(double));
    m->histo_s  = hfx__arena_alloc(&m->arena, (n_hvals + 1) * sizeof(double));
    m->histo_a  = hfx__arena_alloc(&m->arena, (n_hvals + 1) * sizeof(double));
    m->explore      = hfx__arena_alloc(&m->arena, m->n_pars + 1);
    m->flat_at_init = hfx__arena_alloc(&m->arena, m->n_pars + 1);
    m->nonmonotone  = hfx__arena_alloc(&m->arena, m->n_pars + 1);
    t.moves         = hfx__arena_alloc(&cc->tmp, m->n_pars + 1);
    t.interp        = hfx__arena_alloc(&cc->tmp, m->n_pars + 1);
    if (!m->scalars || !m->perbins || !m->histos || !m->histo_up || !m->histo_dn || !m->histo_s || !m->histo_a ||
        !m->explore ||
        !m->flat_at_init || !m->nonmonotone || !t.moves || !t.interp) {
        return hfx__error(cc->err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    enum hfx_status st = channel_set_starts(cc, &t);
    for (size_t k = 0; k < m->n_blocks && st == HFX_OK; ++k) {
        struct hfx_block * b = &m->blocks[k];
        b->scalar0           = (int32_t) t.ns;
        b->perbin0           = (int32_t) t.npb;
        b->histo0            = (int32_t) t.nh;
        for (size_t q = cc->block_entry0[k]; q < cc->block_entry0[k] + cc->block_n_entries[k] && st == HFX_OK; ++q) {
            st = add_entry(cc, b, cc->entries[q].mod, &t);
        }
        b->n_scalar = (int32_t) t.ns - b->scalar0;
        b->n_perbin = (int32_t) t.npb - b->perbin0;
        b->n_histo  = (int32_t) t.nh - b->histo0;
        if (b->n_scalar > m->n_scalar_max) {
            m->n_scalar_max = b->n_scalar;
        }
    }
    if (st != HFX_OK) {
        return st;
    }
    for (size_t i = 0; i < m->n_pars; ++i) {
        m->flat_at_init[i] = t.interp[i] && !t.moves[i] && !m->explore[i];
        m->explore[i]      = m->explore[i] || m->flat_at_init[i];
        m->n_explore += m->explore[i] ? 1 : 0;
        m->n_nonmonotone += m->nonmonotone[i] ? 1 : 0;
    }
    m->n_scalar     = t.ns;
    m->n_perbin     = t.npb;
    m->n_histo      = t.nh;
    m->n_histo_vals = t.nhv;
    return HFX_OK;
}

static enum hfx_status choose_poi(struct compile * cc) {
    struct hfx_model * m = cc->m;
    m->poi               = -1;
    if (cc->opts->no_poi) {
        return HFX_OK;
    }
    const char * poi = cc->meas->poi;
    size_t       idx;
    if (!name_map_get(&cc->parset_index, poi, &idx)) {
        return hfx__error(cc->err, HFX_ERR_MODEL, cc->meas->pointer,
                          "the POI '%s' of measurement '%s' is not a parameter of the model (no sample carries a "
                          "modifier of that name); fit without a POI (--no-poi) for a background-only model",
                          poi, cc->meas->name);
    }
    if (cc->builds[idx].req.size != 1) {
        return hfx__error(cc->err, HFX_ERR_MODEL, cc->meas->pointer,
                          "The parameter '%s' contains multiple components and is not currently supported as "
                          "parameter of interest (%zu components; a POI must be a single parameter)", poi,
                          cc->builds[idx].req.size);
    }
    m->poi = (long) cc->builds[idx].offset;
    return HFX_OK;
}

static void fill_observed(struct compile * cc) {
    struct hfx_model * m = cc->m;
    for (size_t k = 0; k < m->n_channels; ++k) {
        const struct hfx_spec_channel * ch = &cc->spec->channels[cc->chan_order[k]];
        memcpy(&m->observed[m->channel_bin0[k]], ch->observed, ch->n_bins * sizeof(double));
    }
}

static enum hfx_status resolve_interp(const struct hfx_model_options * o, struct hfx_model * m,
                                      struct hfx_error * err) {
    m->normsys_code  = o->normsys_interp == HFX_INTERP_DEFAULT ? HFX_INTERP_CODE4 : (int) o->normsys_interp;
    m->histosys_code = o->histosys_interp == HFX_INTERP_DEFAULT ? HFX_INTERP_CODE4P : (int) o->histosys_interp;
    if (m->normsys_code != HFX_INTERP_CODE1 && m->normsys_code != HFX_INTERP_CODE4) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "normsys interpolation must be code1 or code4");
    }
    if (m->histosys_code != HFX_INTERP_CODE0 && m->histosys_code != HFX_INTERP_CODE2 &&
        m->histosys_code != HFX_INTERP_CODE4P) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "histosys interpolation must be code0, code2 or code4p");
    }
    return HFX_OK;
}

enum hfx_status hfx__model_compile(const struct hfx_spec * spec, const struct hfx_model_options * opts,
                                   struct hfx_model * m, struct hfx_error * err) {
    static const struct hfx_model_options defaults = {0};
    struct compile                        cc       = {.spec = spec, .opts = opts ? opts : &defaults, .m = m, .err = err};
    enum hfx_status                       st       = resolve_interp(cc.opts, m, err);
    if (st != HFX_OK) {
        return st;
    }
    if (spec->n_measurements == 0) {
        return hfx__error(err, HFX_ERR_MODEL, "/measurements", "the workspace has no measurement");
    }
    if (cc.opts->measurement) {
        for (size_t i = 0; i < spec->n_measurements; ++i) {
            if (strcmp(spec->measurements[i].name, cc.opts->measurement) == 0) {
                cc.meas = &spec->measurements[i];
            }
        }
        if (!cc.meas) {
            return hfx__error(err, HFX_ERR_NOT_FOUND, "/measurements",
                              "no measurement named '%s' (the first is '%s')", cc.opts->measurement,
                              spec->measurements[0].name);
        }
    } else {
        cc.meas = &spec->measurements[0];
    }
    if ((st = build_blocks(&cc)) == HFX_OK && (st = build_parsets(&cc)) == HFX_OK &&
        (st = layout_parameters(&cc)) == HFX_OK && (st = build_tables(&cc)) == HFX_OK &&
        (st = choose_poi(&cc)) == HFX_OK) {
        fill_observed(&cc);
    }
    /* names point into the spec: copy them into the model's arena before the spec goes */
    if (st == HFX_OK) {
        for (size_t i = 0; i < m->n_parsets; ++i) {
            const char * old = m->parsets[i].name;
            m->parsets[i].name = hfx__arena_strdup(&m->arena, old);
            if (!m->parsets[i].name) {
                st = hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
                break;
            }
            for (size_t j = 0; j < m->parsets[i].size; ++j) {
                if (m->par_names[m->parsets[i].offset + j] == old) {
                    m->par_names[m->parsets[i].offset + j] = m->parsets[i].name;
                }
            }
        }
        for (size_t c = 0; c < m->n_channels && st == HFX_OK; ++c) {
            m->channel_names[c] = hfx__arena_strdup(&m->arena, m->channel_names[c]);
            st = m->channel_names[c] ? HFX_OK : hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
        }
        for (size_t s = 0; s < m->n_samples && st == HFX_OK; ++s) {
            m->sample_names[s] = hfx__arena_strdup(&m->arena, m->sample_names[s]);
            st = m->sample_names[s] ? HFX_OK : hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
        }
    }
    hfx__arena_free(&cc.tmp);
    return st;
}
