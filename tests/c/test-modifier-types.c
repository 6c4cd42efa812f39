/*
 * test-modifier-types.c -- the table of modifier types (src/model/modifier-types.c).
 *
 * Spec validation and the model compiler read a type's row instead of switching on the type, so the
 * rows must be consistent with what those readers assume; a new row that breaks an assumption fails
 * here rather than as a wrong model. What the rows mean for the numbers (the defaults, the widths) is
 * tested against pyhf by the model and fit tests (test-model.c, test-zoo.c, the Python suite).
 *
 * Sections:
 * - names: every type's name round-trips, an unknown name is refused, and the enum is in pyhf's
 *   parameter-group order (the alphabetical order of the names: parameters are laid out in it);
 * - consistency: each compiled form has the data it reads, each constraint its width rule, each set
 *   of the channels' bins its width; types that share a name ask for the same parameter set.
 */
#include "hfx-test.h"
#include "model/modifier-types.h"

//
// Names
//

static void test_names(void) {
    for (int i = 0; i < HFX_MOD_COUNT; i++) {
        enum hfx_modifier_type t    = (enum hfx_modifier_type) i;
        enum hfx_modifier_type back = HFX_MOD_COUNT;
        ASSERT(hfx__modifier_type_from_name(hfx__modifier_type_name(t), &back));
        ASSERT_EQ(back, t);
        ASSERT_STREQ(hfx__modifier_rules_of(t)->name, hfx__modifier_type_name(t));
        if (i > 0) { /* pyhf's order of parameter groups */
            ASSERT(strcmp(hfx__modifier_type_name((enum hfx_modifier_type) (i - 1)), hfx__modifier_type_name(t)) < 0);
        }
    }
    enum hfx_modifier_type t = HFX_MOD_LUMI;
    ASSERT(!hfx__modifier_type_from_name("foo", &t));
    ASSERT(!hfx__modifier_type_from_name("", &t));
    ASSERT_EQ(t, HFX_MOD_LUMI); /* untouched */
    ASSERT_STREQ(hfx__modifier_type_name(HFX_MOD_COUNT), "unknown");
    ASSERT_STREQ(hfx__modifier_type_name(HFX_MOD_SHAPESYS), "shapesys");
}

//
// Consistency with what spec-build.c and compile.c assume
//

static void test_rows(void) {
    for (int i = 0; i < HFX_MOD_COUNT; i++) {
        const struct hfx__modifier_rules * r = hfx__modifier_rules_of((enum hfx_modifier_type) i);
        /* compile.c builds each form from these data (model.h's tables) */
        if (r->form == HFX_MOD_FORM_NORMSYS) {
            ASSERT_EQ(r->data, HFX_MOD_DATA_HI_LO);
        }
        if (r->form == HFX_MOD_FORM_HISTO) {
            ASSERT_EQ(r->data, HFX_MOD_DATA_HI_LO_BINS);
        }
        /* a per-bin factor has a parameter per bin, a scalar form one parameter */
        ASSERT_EQ(r->form == HFX_MOD_FORM_PERBIN, r->set != HFX_MOD_SET_SCALAR);
        /* a Poisson constraint's tau comes from the data only (make_requirement fills no default) */
        ASSERT_EQ(r->constraint == HFX_MOD_CONSTRAINT_POISSON, r->width == HFX_MOD_WIDTH_POISSON);
        if (r->width == HFX_MOD_WIDTH_POISSON) {
            ASSERT_EQ(r->data, HFX_MOD_DATA_BINS);
            ASSERT_EQ(r->set, HFX_MOD_SET_BINS);
        }
        /* a set of the channels' bins is built by channel_set_requirement, with the stat width */
        ASSERT_EQ(r->set == HFX_MOD_SET_CHANNEL_BINS, r->width == HFX_MOD_WIDTH_STAT);
        if (r->width == HFX_MOD_WIDTH_STAT) {
            ASSERT_EQ(r->data, HFX_MOD_DATA_BINS);
            ASSERT_EQ(r->constraint, HFX_MOD_CONSTRAINT_GAUSS);
            ASSERT(r->has_defaults);
        }
        /* a type without defaults is configured by the measurement, one value per key */
        if (!r->has_defaults) {
            ASSERT_EQ(r->set, HFX_MOD_SET_SCALAR);
            ASSERT_EQ(r->constraint, HFX_MOD_CONSTRAINT_GAUSS);
        } else {
            ASSERT(r->lo <= r->init && r->init <= r->hi);
            if (r->constraint == HFX_MOD_CONSTRAINT_GAUSS && r->width == HFX_MOD_WIDTH_DEFAULT) {
                ASSERT(r->sigma > 0);
            }
        }
        /* a type that is not shared has one carrier per name, so no sharing group either */
        if (!r->shared) {
            ASSERT_EQ(r->share_group, 0);
        }
        for (int j = 0; j < HFX_MOD_COUNT; j++) {
            const struct hfx__modifier_rules * o = hfx__modifier_rules_of((enum hfx_modifier_type) j);
            if (i == j || !hfx__modifier_types_share((enum hfx_modifier_type) i, (enum hfx_modifier_type) j)) {
                continue;
            }
            /* one name, one parameter set: the rows ask for the same one (compile.c same_requirement) */
            ASSERT(r->set == HFX_MOD_SET_SCALAR && o->set == HFX_MOD_SET_SCALAR);
            ASSERT_EQ(r->constraint, o->constraint);
            ASSERT_EQ(r->width, o->width);
            ASSERT_EQ(r->has_defaults, o->has_defaults);
            ASSERT(r->init == o->init && r->lo == o->lo && r->hi == o->hi && r->aux == o->aux && r->sigma == o->sigma);
        }
    }
    ASSERT(hfx__modifier_types_share(HFX_MOD_NORMSYS, HFX_MOD_HISTOSYS));
    ASSERT(!hfx__modifier_types_share(HFX_MOD_NORMFACTOR, HFX_MOD_SHAPEFACTOR));
    ASSERT(!hfx__modifier_rules_of(HFX_MOD_SHAPESYS)->shared);
}

int main(void) {
    test_names();
    test_rows();
    printf("test-modifier-types: ok\n");
    return 0;
}
