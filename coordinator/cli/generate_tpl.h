/*
 * The expand/contract generator's recipes: for each recipe its phases (one version each)
 * and, per phase and engine, the up and down SQL templates. Templates are constant text
 * with {name} placeholders that generate.c expands (generate_var_names in generate.c lists
 * them). Data only.
 */
#ifndef SW_CLI_GENERATE_TPL_H
#define SW_CLI_GENERATE_TPL_H

#include <stddef.h>

#include "generate.h"
#include "sw/migset.h"

/* One phase = one version of the recipe. */
struct generate_tpl_phase {
    const char *slug; /* file description, e.g. "expand_rename_{table}_{column}_to_{new}" */
    const char *up[MIGSET_ENGINE_COUNT];
    const char *down[MIGSET_ENGINE_COUNT];
};

struct generate_tpl_recipe {
    const char *option; /* "--rename-column" */
    const char *plan;   /* the rollout comment every file of the recipe starts with: {plan} */
    size_t n_phases;
    struct generate_tpl_phase phases[GENERATE_MAX_VERSIONS];
};

/* The recipe's templates (borrowed, static). */
const struct generate_tpl_recipe *generate_tpl_recipe(enum generate_recipe recipe);

#endif
